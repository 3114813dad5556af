/**
 * One activated version of the app: its manifest, the sandbox running its modules, and the
 * function table (with parsed validators) the runner resolves paths against.
 */
import { BackendError, badRequest } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import type { AnalyzedFunction, AppAnalysis } from "./app-analysis.js";
import { InProcessSandbox } from "./in-process-sandbox.js";
import { writeModuleFiles } from "./module-files.js";
import type {
  ModuleEnvironment,
  ModuleSource,
  ModuleStore,
} from "./module-store.js";
import { ModuleLoadFailure } from "./pooled-worker.js";
import { ModuleImportError } from "./sandbox/loaded-modules.js";
import { serializeUncaught } from "./sandbox/errors.js";
import type { RuntimeLimits, SandboxHost } from "./sandbox-host.js";
import {
  parseFunctionValidators,
  type FunctionValidators,
} from "./validation.js";
import { WorkerPool } from "./worker-pool.js";

/**
 * What is deployed: every module by path and sha256 (`_deps/` chunks included), the analysis,
 * and the `convex` version the app was bundled with. JSON-serialisable; the server persists it
 * and activates it again after a restart.
 */
export interface AppManifest {
  readonly modules: readonly {
    readonly path: string;
    readonly sha256: string;
    readonly environment: ModuleEnvironment;
  }[];
  readonly analysis: AppAnalysis;
  readonly udfServerVersion: string | null;
}

export interface DeployedFunction {
  /** Canonical path: `"dir/mod.js:fn"`. */
  readonly path: string;
  readonly modulePath: string;
  readonly name: string;
  readonly analyzed: AnalyzedFunction;
  readonly validators: FunctionValidators;
}

export interface DeploymentOptions {
  readonly moduleStore: ModuleStore;
  readonly cacheDir: string;
  readonly isolation: "worker" | "inProcess";
  readonly workers: number;
  readonly limits: RuntimeLimits;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

export class Deployment {
  readonly manifest: AppManifest;
  readonly sandbox: SandboxHost;
  /** Where the module files are laid out. */
  readonly directory: string;
  readonly #functions: ReadonlyMap<string, DeployedFunction>;

  private constructor(
    manifest: AppManifest,
    sandbox: SandboxHost,
    directory: string,
    functions: ReadonlyMap<string, DeployedFunction>,
  ) {
    this.manifest = manifest;
    this.sandbox = sandbox;
    this.directory = directory;
    this.#functions = functions;
  }

  /**
   * Fetches the modules from the store, lays them out and starts a sandbox that imports them.
   *
   * @throws BackendError BadRequest `ModuleNotFound` when the store lacks a module,
   *   `ModuleLoadError` when a module fails to import.
   */
  static async load(
    manifest: AppManifest,
    options: DeploymentOptions,
  ): Promise<Deployment> {
    const functions = functionTable(manifest.analysis);
    const modules = await fetchModules(manifest, options.moduleStore);
    const deploymentDir = await writeModuleFiles(options.cacheDir, modules);
    const environments: Record<string, ModuleEnvironment> = {};
    for (const module of modules)
      environments[module.path] = module.environment;
    const modulePaths = modules
      .map((m) => m.path)
      .filter((p) => !p.startsWith("_deps/"));
    const sandbox = await startSandbox(options, {
      deploymentDir,
      modulePaths,
      environments,
    });
    return new Deployment(manifest, sandbox, deploymentDir, functions);
  }

  /**
   * A deployment over a sandbox that already runs the modules `manifest.analysis` describes (the
   * in-process test harness, which imports the app's sources itself; `manifest.modules` may be
   * empty). `directory` is informational.
   */
  static fromSandbox(
    manifest: AppManifest,
    sandbox: SandboxHost,
    directory: string,
  ): Deployment {
    return new Deployment(
      manifest,
      sandbox,
      directory,
      functionTable(manifest.analysis),
    );
  }

  /** The function at canonical `path`, or undefined. */
  lookup(path: string): DeployedFunction | undefined {
    return this.#functions.get(path);
  }

  /** Whether the app has an HTTP router (`http.js`). */
  get hasHttpRouter(): boolean {
    return this.manifest.analysis.httpRoutes !== null;
  }
}

function functionTable(analysis: AppAnalysis): Map<string, DeployedFunction> {
  const functions = new Map<string, DeployedFunction>();
  for (const module of Object.values(analysis.modules)) {
    for (const fn of module.functions) {
      const path = `${module.path}:${fn.name}`;
      functions.set(path, {
        path,
        modulePath: module.path,
        name: fn.name,
        analyzed: fn,
        validators: parseFunctionValidators(fn),
      });
    }
  }
  return functions;
}

async function fetchModules(
  manifest: AppManifest,
  store: ModuleStore,
): Promise<ModuleSource[]> {
  return Promise.all(
    manifest.modules.map(async (ref) => {
      const content = await store.get(ref.sha256);
      if (content === null) {
        throw badRequest(
          "ModuleNotFound",
          `Module ${ref.path} (sha256 ${ref.sha256}) is not in the module store.`,
        );
      }
      return { path: ref.path, environment: ref.environment, ...content };
    }),
  );
}

async function startSandbox(
  options: DeploymentOptions,
  layout: {
    deploymentDir: string;
    modulePaths: string[];
    environments: Record<string, ModuleEnvironment>;
  },
): Promise<SandboxHost> {
  try {
    if (options.isolation === "inProcess") {
      return await InProcessSandbox.start({
        ...layout,
        environmentVariables: options.environmentVariables,
      });
    }
    return await WorkerPool.start({
      worker: {
        ...layout,
        environmentVariables: options.environmentVariables,
        memoryMb: options.limits.workerMemoryMb,
      },
      size: options.workers,
      shortestLimitMs: Math.min(
        options.limits.queryMutationTimeoutMs,
        options.limits.actionTimeoutMs,
      ),
      logger: options.logger,
    });
  } catch (e) {
    throw loadError(e);
  }
}

function loadError(e: unknown): BackendError {
  if (e instanceof ModuleLoadFailure) {
    const where = e.path === null ? "" : `Failed to load ${e.path}: `;
    return badRequest("ModuleLoadError", `${where}${e.message}`);
  }
  if (e instanceof ModuleImportError) {
    return badRequest(
      "ModuleLoadError",
      `Failed to load ${e.path}: ${serializeUncaught(e.cause, null).message}`,
    );
  }
  return e instanceof BackendError
    ? e
    : badRequest("ModuleLoadError", String(e));
}
