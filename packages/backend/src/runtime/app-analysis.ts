/**
 * What analysis finds in a push (see `analysis.ts`): plain JSON-serialisable data, persisted
 * inside the deployment manifest.
 */
import type { ModuleEnvironment } from "./module-store.js";

/** The kinds of function a client or another function can call by path. */
export type UdfType = "query" | "mutation" | "action";

export type FunctionVisibility = "public" | "internal";

export interface AnalyzedFunction {
  /** Export name: `"list"`, `"default"`. */
  readonly name: string;
  readonly udfType: UdfType;
  /** null for legacy functions that declare neither (Convex treats them as public). */
  readonly visibility: FunctionVisibility | null;
  /** `exportArgs()` JSON text: a validator JSON (`{"type":"any"}` when there is no `args`). */
  readonly args: string;
  /** `exportReturns()` JSON text, or null when the function declares no `returns`. */
  readonly returns: string | null;
}

export interface AnalyzedModule {
  readonly path: string;
  readonly environment: ModuleEnvironment;
  readonly functions: readonly AnalyzedFunction[];
}

/** One HTTP route as `HttpRouter.getRoutes()` lists it; prefix routes end in `*`. */
export interface HttpRoute {
  readonly path: string;
  readonly method: string;
}

/** One cron job as `cronJobs().export()` writes it: `args` is a one-element array. */
export interface CronSpec {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly schedule: Readonly<Record<string, unknown>>;
}

export interface AppAnalysis {
  /** Every entry module (not `_deps/`), by path. */
  readonly modules: Readonly<Record<string, AnalyzedModule>>;
  /** `schema.js`'s `export()`, parsed; null without a schema. */
  readonly schema: unknown;
  /** `crons.js`'s jobs by identifier; null without crons. */
  readonly crons: Readonly<Record<string, CronSpec>> | null;
  /** `http.js`'s routes; null without a router. */
  readonly httpRoutes: readonly HttpRoute[] | null;
  /** `auth.config.js`'s `providers`, as evaluated; empty without one. */
  readonly authProviders: readonly unknown[];
}
