/**
 * The runtime's entry point for the server layers: activates deployments and runs functions
 * (see `README.md` for the contract). One `FunctionRunner` per backend.
 */
import { randomBytes } from "node:crypto";
import { BackendError } from "../errors/backend-error.js";
import type { Database } from "../engine/database.js";
import { createCursorCodec, type CursorCodec } from "../engine/query/cursor.js";
import type { ReadSet } from "../engine/read-set.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { Timestamp } from "../storage/persistence.js";
import type { JsonValue } from "../values/value.js";
import type { UdfType } from "./app-analysis.js";
import { Deployment, type AppManifest } from "./deployment.js";
import type { FileStorage } from "./file-storage.js";
import { FunctionLogs } from "./function-logs.js";
import type { UserIdentity } from "./host-invocation.js";
import { runHttpAction } from "./http-action.js";
import { pruneModuleFiles } from "./module-files.js";
import type { ModuleStore } from "./module-store.js";
import { logLineToString } from "./sandbox/log-collector.js";
import { DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from "./sandbox-host.js";
import { runSystemFunction, type SystemFunctions } from "./system-functions.js";
import {
  type BeforeCommit,
  type Execution,
  UdfExecutor,
} from "./udf-executor.js";
import { canonicalizeUdfPath } from "./udf-path.js";

export type { AppManifest } from "./deployment.js";

export interface FunctionRunnerOptions {
  readonly database: Database;
  readonly moduleStore: ModuleStore;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  /** Where module files are laid out for import (e.g. `<data>/module-cache`). */
  readonly cacheDir: string;
  /** `"worker"` (default): isolated workers; `"inProcess"`: this process (test harness). */
  readonly isolation?: "worker" | "inProcess" | undefined;
  /** Number of sandbox workers (default 2). */
  readonly workers?: number | undefined;
  readonly limits?: Partial<RuntimeLimits> | undefined;
  /** What `ctx.meta.getDeploymentMetadata()` reports as the name. */
  readonly deploymentName?: string | undefined;
  /** `CONVEX_CLOUD_URL` and `CONVEX_SITE_URL` as user code sees them. */
  readonly cloudUrl?: string | undefined;
  readonly siteUrl?: string | undefined;
  /** Seals pagination cursors; keep it stable across restarts (a random one by default). */
  readonly cursorSecret?: Uint8Array | undefined;
  /** Host-implemented `_system/...` functions, by canonical path. */
  readonly systemFunctions?: SystemFunctions | undefined;
  /** Backs `ctx.storage` (`file-storage.ts`); without it storage syscalls fail clearly. */
  readonly fileStorage?: FileStorage | undefined;
}

/** One function call (see `README.md`). */
export interface UdfRequest {
  readonly udfPath: string;
  readonly udfType?: UdfType | undefined;
  readonly args: JsonValue;
  readonly identity: UserIdentity | null;
  readonly allowInternal: boolean;
  readonly readTs?: Timestamp | undefined;
  readonly requestId?: string | undefined;
  /** Queries: the journal of the subscription's previous run (reactive pagination). */
  readonly journal?: string | null | undefined;
  /**
   * Mutations: called inside the transaction after the function succeeded, before the commit
   * (the scheduler marks its job done there; the sync layer records the request), given what the
   * mutation returned; a throw abandons the transaction and rejects `run`.
   */
  readonly beforeCommit?: BeforeCommit | undefined;
  /** The `_scheduled_functions` job being run (`getRequestMetadata`, self-cancel check). */
  readonly scheduledJobId?: string | null | undefined;
}

/** Shaped like convex-js `FunctionResult`, values in convex-JSON. */
export type FunctionResult =
  | {
      readonly success: true;
      readonly value: JsonValue;
      readonly logLines: string[];
    }
  | {
      readonly success: false;
      readonly errorMessage: string;
      readonly errorData?: JsonValue | undefined;
      readonly logLines: string[];
    };

export type RunResult = FunctionResult & {
  readonly udfType: UdfType;
  /** Commit ts (mutations), read ts (queries), latest ts after an action. */
  readonly ts: Timestamp;
  /** Queries: what the query read. */
  readonly readSet?: ReadSet | undefined;
  /** Queries: this run's journal (the end cursor of its `.paginate()`), or null. */
  readonly journal?: string | null | undefined;
  /** Queries: whether the function read `ctx.auth`. */
  readonly usedAuth?: boolean | undefined;
};

/** How long shutdown waits for running functions before stopping them. */
const SHUTDOWN_DRAIN_MS = 5_000;

export class FunctionRunner {
  readonly logs = new FunctionLogs();
  readonly #options: FunctionRunnerOptions;
  readonly #limits: RuntimeLimits;
  readonly #executor: UdfExecutor;
  readonly #cursors: CursorCodec;
  #active: Deployment | null = null;
  #activating: Promise<void> = Promise.resolve();
  #environment: Readonly<Record<string, string>>;
  #nextRequestId = 1;
  #closed = false;

  private constructor(options: FunctionRunnerOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_RUNTIME_LIMITS, ...options.limits };
    this.#cursors = createCursorCodec(options.cursorSecret ?? randomBytes(32));
    this.#environment = this.#withSystemVariables({});
    this.#executor = new UdfExecutor({
      database: options.database,
      clock: options.clock ?? systemClock,
      limits: this.#limits,
      cursors: this.#cursors,
      deploymentName: options.deploymentName ?? "hull",
      logs: this.logs,
      storage: options.fileStorage ?? null,
    });
  }

  static create(options: FunctionRunnerOptions): FunctionRunner {
    return new FunctionRunner(options);
  }

  /** The active manifest, null before the first deploy. */
  get manifest(): AppManifest | null {
    return this.#active?.manifest ?? null;
  }

  /**
   * Loads `manifest`'s modules into a fresh sandbox, then switches to it: invocations already
   * running finish on the old code, later ones use the new code. Activations are serialised.
   * Activating the manifest that is already active does nothing.
   *
   * @throws BackendError BadRequest `ModuleNotFound` / `ModuleLoadError`; the old code keeps
   *   running.
   */
  activate(manifest: AppManifest): Promise<void> {
    const next = this.#activating.then(() => this.#activate(manifest));
    this.#activating = next.catch(() => {});
    return next;
  }

  /** Sets the deployment environment variables user code sees in `process.env`. */
  setEnvironmentVariables(vars: Readonly<Record<string, string>>): void {
    this.#environment = this.#withSystemVariables(vars);
    this.#active?.sandbox.setEnvironment(this.#environment);
  }

  /**
   * Runs a query, mutation or action. Resolves with `success: false` for every failure the
   * caller or the function caused; rejects with `BackendError` only for infrastructure failures
   * (OCC retries exhausted, shutdown).
   */
  async run(request: UdfRequest): Promise<RunResult> {
    this.#assertOpen();
    const udfPath = canonicalizeUdfPath(request.udfPath);
    const requestId = request.requestId ?? this.#newRequestId();
    const execution = udfPath.startsWith("_system/")
      ? await runSystemFunction(this.#options, {
          ...request,
          udfPath,
          requestId,
        })
      : await this.#executor.execute(this.#active, {
          ...request,
          udfPath,
          requestId,
        });
    return toRunResult(execution);
  }

  /**
   * Serves an HTTP action request routed by the app's `http.js` router. No router or no route:
   * 404 `No matching routes found`. A thrown error: 500 with the error message.
   */
  runHttpAction(
    request: Request,
    options: { identity?: UserIdentity | null | undefined } = {},
  ): Promise<Response> {
    this.#assertOpen();
    return runHttpAction(this.#active, request, {
      identity: options.identity ?? null,
      requestId: this.#newRequestId(),
      limits: this.#limits,
      logs: this.logs,
      clock: this.#options.clock ?? systemClock,
      executor: this.#executor,
    });
  }

  /** Stops the sandbox after in-flight invocations finish. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#activating;
    const active = this.#active;
    this.#active = null;
    await active?.sandbox.close(SHUTDOWN_DRAIN_MS);
  }

  async #activate(manifest: AppManifest): Promise<void> {
    this.#assertOpen();
    if (this.#active !== null && sameModules(this.#active.manifest, manifest)) {
      return;
    }
    const deployment = await Deployment.load(manifest, {
      moduleStore: this.#options.moduleStore,
      cacheDir: this.#options.cacheDir,
      isolation: this.#options.isolation ?? "worker",
      workers: this.#options.workers ?? 2,
      limits: this.#limits,
      environmentVariables: this.#environment,
      logger: this.#options.logger,
    });
    const previous = this.#active;
    this.#active = deployment;
    const keep = [
      deployment.directory,
      ...(previous === null ? [] : [previous.directory]),
    ];
    await pruneModuleFiles(this.#options.cacheDir, keep);
    previous?.sandbox.close().catch((error: unknown) => {
      this.#options.logger.error(
        "stopping the previous deployment's sandbox failed",
        {
          error: String(error),
        },
      );
    });
  }

  #withSystemVariables(
    vars: Readonly<Record<string, string>>,
  ): Record<string, string> {
    const system: Record<string, string> = {};
    if (this.#options.cloudUrl !== undefined)
      system["CONVEX_CLOUD_URL"] = this.#options.cloudUrl;
    if (this.#options.siteUrl !== undefined)
      system["CONVEX_SITE_URL"] = this.#options.siteUrl;
    return { ...vars, ...system };
  }

  #newRequestId(): string {
    return (this.#nextRequestId++).toString(16).padStart(16, "0");
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(
        "Overloaded",
        "ShuttingDown",
        "The function runner is shutting down.",
      );
    }
  }
}

function sameModules(a: AppManifest, b: AppManifest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function toRunResult(execution: Execution): RunResult {
  return { ...execution, logLines: execution.logLines.map(logLineToString) };
}
