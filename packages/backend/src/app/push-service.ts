import { randomUUID } from "node:crypto";
import type { Catalog } from "../engine/catalog.js";
import { planSchemaChanges, type SchemaChanges } from "../engine/schema.js";
import type { SchemaDefinition } from "../engine/schema-definition.js";
import { BackendError, isBackendError } from "../errors/backend-error.js";
import type {
  AppAnalysis,
  DeployApi,
  ModuleRef,
  ModuleSource,
  PreparedPush,
  PushDiff,
  PushRequest,
  SchemaStatus,
} from "../http/push/deploy-api.js";
import type { Logger } from "../shared/logger.js";
import {
  schemaOf,
  type AppManifest,
  type ManifestStore,
} from "./deployment-manifest.js";
import { diffManifests, toIndexDiff } from "./push-diff.js";

/** What the push service needs from the runtime and the engine. */
export interface PushServiceDeps {
  readonly moduleStore: {
    put(content: {
      source: string;
      sourceMap?: string | undefined;
    }): Promise<string>;
    get(
      sha256: string,
    ): Promise<{ source: string; sourceMap?: string | undefined } | null>;
  };
  /** Imports the modules in a throwaway sandbox (the runtime's `analyzeModules`). */
  analyze(modules: readonly ModuleSource[]): Promise<AppAnalysis>;
  /** The function runner: the active manifest and the atomic switch to a new one. */
  readonly runner: {
    readonly manifest: AppManifest | null;
    activate(manifest: AppManifest): Promise<void>;
  };
  /** The engine's schema manager and the current catalog. */
  readonly schema: {
    prepare(schema: SchemaDefinition): Promise<SchemaChanges>;
    apply(schema: SchemaDefinition): Promise<unknown>;
  };
  catalog(): Catalog;
  /** The deployment's environment variables (reported by `start_push`). */
  environmentVariables(): Readonly<Record<string, string>>;
  /** Where manifests persist, so a restart activates the same code. */
  readonly manifests: Pick<ManifestStore, "save" | "savePending">;
  readonly logger: Logger;
}

interface PendingPush {
  readonly manifest: AppManifest;
  readonly schema: SchemaDefinition;
  /** Indexes the push adds (reported while the schema check runs). */
  readonly indexesTotal: number;
  /** The document check against the schema, started by the first `waitForSchema`. */
  validation?: Promise<SchemaStatus>;
}

// `codegen` starts pushes it never finishes: keep only the newest few.
const MAX_PENDING_PUSHES = 8;
// Analyses are a few kilobytes; a handful covers `deploy` (evaluate, then start) and retries.
const MAX_CACHED_ANALYSES = 4;
const SCHEMA_MODULE = "schema.js";

/**
 * The deploy protocol over the runtime and the engine. `prepare` stores and analyses modules
 * with no effect on the running app; `waitForSchema` checks existing documents against the new
 * schema; `finish` applies the schema, persists the manifest and switches the runner to the new
 * code. Pushes finish one at a time. A failure at any step leaves the running deployment as it
 * was.
 */
export class PushService implements DeployApi {
  readonly #deps: PushServiceDeps;
  readonly #pending = new Map<string, PendingPush>();
  readonly #analyses = new Map<string, Promise<AppAnalysis>>();
  #finishing: Promise<unknown> = Promise.resolve();

  constructor(deps: PushServiceDeps) {
    this.#deps = deps;
  }

  moduleHashes(): readonly ModuleRef[] {
    return this.#deps.runner.manifest?.modules ?? [];
  }

  udfServerVersion(): string | null {
    return this.#deps.runner.manifest?.udfServerVersion ?? null;
  }

  async prepare(request: PushRequest): Promise<PreparedPush> {
    const modules = await this.#resolveModules(request);
    const refs = await Promise.all(modules.map((m) => this.#store(m)));
    const analysis = await this.#analyze(modules, refs);
    const manifest: AppManifest = {
      modules: refs,
      analysis,
      udfServerVersion: request.udfServerVersion,
    };
    const schema = schemaOf(manifest);
    const pushId = randomUUID();
    const catalog = this.#deps.catalog();
    const changes = planSchemaChanges(catalog, schema);
    this.#remember(pushId, {
      manifest,
      schema,
      indexesTotal: changes.addedIndexes.length,
    });
    return {
      pushId,
      analysis,
      udfServerVersion: request.udfServerVersion,
      indexDiff: toIndexDiff(changes, schema, catalog),
      environmentVariables: this.#deps.environmentVariables(),
    };
  }

  /**
   * Checks the existing documents against the new schema. The check keeps running across polls:
   * when it takes longer than `timeoutMs` (or the client goes away) this answers `inProgress`,
   * and the next poll waits for the same check.
   */
  async waitForSchema(
    pushId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<SchemaStatus> {
    const push = this.#get(pushId);
    push.validation ??= this.#validate(push);
    const progress: SchemaStatus = {
      type: "inProgress",
      schemaValidationComplete: false,
      indexesComplete: 0,
      indexesTotal: push.indexesTotal,
    };
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<SchemaStatus>((resolve) => {
      timer = setTimeout(() => resolve(progress), timeoutMs);
      signal.addEventListener("abort", () => resolve(progress), { once: true });
    });
    try {
      return await Promise.race([push.validation, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #validate(push: PendingPush): Promise<SchemaStatus> {
    try {
      await this.#deps.schema.prepare(push.schema);
      return { type: "complete" };
    } catch (error) {
      if (isBackendError(error) && error.code === "BadRequest") {
        return {
          type: "failed",
          error: error.message,
          tableName: tableNameIn(error.message),
        };
      }
      throw error;
    }
  }

  finish(
    pushId: string,
    options: { readonly dryRun: boolean },
  ): Promise<PushDiff> {
    const run = this.#finishing.then(() => this.#finish(pushId, options));
    this.#finishing = run.catch(() => undefined);
    return run;
  }

  async #finish(
    pushId: string,
    options: { readonly dryRun: boolean },
  ): Promise<PushDiff> {
    const push = this.#get(pushId);
    const catalog = this.#deps.catalog();
    const changes = await this.#deps.schema.prepare(push.schema);
    const previous = this.#deps.runner.manifest;
    const diff = diffManifests(
      previous,
      push.manifest,
      toIndexDiff(changes, push.schema, catalog),
    );
    if (options.dryRun) return diff;
    const { manifests } = this.#deps;
    // Pending while the schema is applied: a restart in between adopts or drops it whole.
    await manifests.savePending(push.manifest);
    try {
      await this.#deps.schema.apply(push.schema);
    } catch (error) {
      await manifests.savePending(null);
      throw error;
    }
    await manifests.save(push.manifest);
    await manifests.savePending(null);
    try {
      await this.#deps.runner.activate(push.manifest);
    } catch (error) {
      if (previous !== null) await manifests.save(previous);
      throw error;
    }
    this.#pending.delete(pushId);
    this.#deps.logger.info("push activated", {
      modules: push.manifest.modules.length,
    });
    return diff;
  }

  /**
   * Analyses the modules, reusing the analysis of the same modules and environment from a
   * recent push: `npx convex deploy` sends the same app to `evaluate_push` and `start_push`.
   */
  #analyze(
    modules: readonly ModuleSource[],
    refs: readonly ModuleRef[],
  ): Promise<AppAnalysis> {
    const key = JSON.stringify([
      [...refs].sort((a, b) => (a.path < b.path ? -1 : 1)),
      this.#deps.environmentVariables(),
    ]);
    const cached = this.#analyses.get(key);
    if (cached !== undefined) return cached;
    const analysis = this.#deps.analyze(modules);
    this.#analyses.set(key, analysis);
    analysis.catch(() => this.#analyses.delete(key));
    while (this.#analyses.size > MAX_CACHED_ANALYSES) {
      const oldest = this.#analyses.keys().next().value;
      if (oldest === undefined) break;
      this.#analyses.delete(oldest);
    }
    return analysis;
  }

  async #resolveModules(request: PushRequest): Promise<ModuleSource[]> {
    const unchanged = await Promise.all(
      request.unchangedModules.map(async (ref): Promise<ModuleSource> => {
        const content = await this.#deps.moduleStore.get(ref.sha256);
        if (content === null) {
          throw new BackendError(
            "BadRequest",
            "UnknownModuleHash",
            `The deployment has no module with hash ${ref.sha256} (for ${ref.path}). Push again with all modules.`,
          );
        }
        return { path: ref.path, environment: ref.environment, ...content };
      }),
    );
    const schema =
      request.schema === null
        ? []
        : [{ ...request.schema, path: SCHEMA_MODULE }];
    return [...request.changedModules, ...unchanged, ...schema];
  }

  async #store(module: ModuleSource): Promise<ModuleRef> {
    const content =
      module.sourceMap === undefined
        ? { source: module.source }
        : { source: module.source, sourceMap: module.sourceMap };
    const sha256 = await this.#deps.moduleStore.put(content);
    return { path: module.path, environment: module.environment, sha256 };
  }

  #remember(pushId: string, push: PendingPush): void {
    this.#pending.set(pushId, push);
    while (this.#pending.size > MAX_PENDING_PUSHES) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
  }

  #get(pushId: string): PendingPush {
    const push = this.#pending.get(pushId);
    if (push === undefined) {
      throw new BackendError(
        "BadRequest",
        "PushNotFound",
        "This push is unknown to the deployment: it expired, another push replaced it, or the server restarted. Run the push again.",
      );
    }
    return push;
  }
}

/** The table a schema validation error names, when it names one. */
function tableNameIn(message: string): string | null {
  return /table "?([A-Za-z_][A-Za-z0-9_]*)"?/i.exec(message)?.[1] ?? null;
}
