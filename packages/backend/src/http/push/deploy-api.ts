import type { JsonValue } from "../../values/value.js";
import type {
  ModuleEnvironment,
  ModuleSource,
} from "../../runtime/module-store.js";

export type {
  ModuleEnvironment,
  ModuleSource,
} from "../../runtime/module-store.js";

/*
 * The port behind the `/api/deploy2/*` and `/api/get_config_hashes` routes, in Hull's terms
 * rather than the CLI's wire shapes (`push-codec.ts` translates). `app/` implements it with the
 * module store, the runtime's analysis and activation, and the engine's schema changes.
 */

/** A module named by content: hex sha256 of source ‖ sourceMap (the CLI's formula). */
export interface ModuleRef {
  readonly path: string;
  readonly environment: ModuleEnvironment;
  readonly sha256: string;
}

/** A candidate app: what one `start_push`/`evaluate_push` carries. */
export interface PushRequest {
  /** Modules sent with their source. */
  readonly changedModules: readonly ModuleSource[];
  /** Modules the deployment already has, sent by hash only. */
  readonly unchangedModules: readonly ModuleRef[];
  /** `schema.js`, or null when the app has no schema. */
  readonly schema: ModuleSource | null;
  /** The `convex` package version the app was bundled with. */
  readonly udfServerVersion: string;
}

/** One function as the runtime's analysis describes it. */
export interface AnalyzedFunction {
  readonly name: string;
  readonly udfType: "query" | "mutation" | "action";
  readonly visibility: "public" | "internal" | null;
  readonly args: string;
  readonly returns: string | null;
}

/** One cron job as `cronJobs().export()` writes it. */
export interface CronSpec {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly schedule: Readonly<Record<string, unknown>>;
}

/** The runtime's `AppAnalysis` (`runtime/app-analysis.ts`); every part is JSON-serialisable. */
export interface AppAnalysis {
  readonly modules: Readonly<
    Record<
      string,
      {
        readonly path: string;
        readonly environment: ModuleEnvironment;
        readonly functions: readonly AnalyzedFunction[];
      }
    >
  >;
  /** `schema.js`'s `export()`, parsed; null without a schema. */
  readonly schema: unknown;
  readonly crons: Readonly<Record<string, CronSpec>> | null;
  readonly httpRoutes:
    readonly { readonly path: string; readonly method: string }[] | null;
  readonly authProviders: readonly unknown[];
}

/** An index as the CLI prints it (`DeveloperIndexConfig`): `{name: "table.index", type, …}`. */
export type IndexConfig = Readonly<Record<string, JsonValue>> & {
  readonly name: string;
};

/** Indexes a push adds and removes. */
export interface IndexDiff {
  readonly added: readonly IndexConfig[];
  readonly removed: readonly IndexConfig[];
}

/** A push that was analysed and is waiting for `finish`. */
export interface PreparedPush {
  /** Names this push in `waitForSchema` and `finish`. */
  readonly pushId: string;
  readonly analysis: AppAnalysis;
  readonly udfServerVersion: string;
  readonly indexDiff: IndexDiff;
  /** All deployment environment variables (so the CLI can detect concurrent edits). */
  readonly environmentVariables: Readonly<Record<string, string>>;
}

/** Progress of a prepared push's schema: validation of existing documents and index backfill. */
export type SchemaStatus =
  | {
      readonly type: "inProgress";
      readonly schemaValidationComplete: boolean;
      readonly indexesComplete: number;
      readonly indexesTotal: number;
    }
  | {
      readonly type: "failed";
      readonly error: string;
      readonly tableName: string | null;
    }
  | { readonly type: "complete" };

/** What an activated (or, with `dryRun`, would-be activated) push changed. */
export interface PushDiff {
  /** True when nothing was deployed before. */
  readonly firstPush: boolean;
  readonly modules: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
  };
  readonly udfServerVersion: {
    readonly previous: string;
    readonly next: string;
  } | null;
  readonly crons: {
    readonly added: readonly string[];
    readonly updated: readonly string[];
    readonly deleted: readonly string[];
  };
  readonly indexDiff: IndexDiff;
  /** Schema JSON text before and after; null when unchanged. */
  readonly schema: {
    readonly previous: string | null;
    readonly next: string | null;
  } | null;
  readonly auth: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
  };
}

/** The deploy operations, in the order the CLI drives them. */
export interface DeployApi {
  /** Modules of the active deployment (every module, `_deps/` included). */
  moduleHashes(): readonly ModuleRef[];
  /** The active deployment's `convex` version, null before the first push. */
  udfServerVersion(): string | null;
  /**
   * Analyses a candidate app without changing the running deployment (modules may be stored,
   * content-addressed). Throws `BackendError(BadRequest, …)` with a clear message when a module
   * hash is unknown, a module fails to import, or the schema is invalid.
   */
  prepare(request: PushRequest): Promise<PreparedPush>;
  /**
   * Checks the prepared schema against existing documents and backfills new indexes, waiting up
   * to `timeoutMs` (or until `signal` aborts) before reporting progress.
   * Throws `BackendError(BadRequest, "PushNotFound")` for an unknown or expired push id.
   */
  waitForSchema(
    pushId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<SchemaStatus>;
  /**
   * Activates the prepared push atomically (modules, schema, indexes, crons, HTTP routes, auth),
   * or with `dryRun` only computes the diff. Leaves the running deployment untouched on failure.
   */
  finish(
    pushId: string,
    options: { readonly dryRun: boolean },
  ): Promise<PushDiff>;
}
