/**
 * Describes imported modules: their functions (kind, visibility, validators), the HTTP router's
 * routes, the cron jobs, the schema and the auth providers. Runs where the modules were
 * imported; reads only what the `convex` package's objects export.
 */
import type {
  AnalyzedFunction,
  AnalyzedModule,
  AppAnalysis,
  CronSpec,
  HttpRoute,
} from "../app-analysis.js";
import type { ModuleEnvironment } from "../module-store.js";
import { classifyExport, type LoadedModules } from "./loaded-modules.js";

/** A module is analysed as an entry point unless it is a shared chunk. */
export function isEntryModule(path: string): boolean {
  return !path.startsWith("_deps/");
}

/** A problem with one module's exports, reported with the module's path. */
export class AnalysisError extends Error {
  override readonly name = "AnalysisError";
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** Analyses every loaded entry module. Throws `AnalysisError` for invalid exports. */
export function analyzeLoadedModules(
  modules: LoadedModules,
  environments: Readonly<Record<string, ModuleEnvironment>>,
): AppAnalysis {
  const analyzed: Record<string, AnalyzedModule> = {};
  for (const path of modules.paths.filter(isEntryModule)) {
    analyzed[path] = {
      path,
      environment: environments[path] ?? "isolate",
      functions: analyzeFunctions(path, modules.namespace(path) ?? {}),
    };
  }
  return {
    modules: analyzed,
    schema: defaultExportJson(modules, "schema.js", "export"),
    crons: defaultExportJson(modules, "crons.js", "export") as Record<
      string,
      CronSpec
    > | null,
    httpRoutes: httpRoutes(modules),
    authProviders: authProviders(modules),
  };
}

function analyzeFunctions(
  path: string,
  namespace: Record<string, unknown>,
): AnalyzedFunction[] {
  const functions: AnalyzedFunction[] = [];
  for (const name of Object.keys(namespace)) {
    const fn = classifyExport(namespace[name]);
    if (fn === null || fn.kind === "httpAction") continue;
    try {
      const exportArgs = fn.exported.exportArgs as () => string;
      const exportReturns = fn.exported.exportReturns as
        (() => string) | undefined;
      const returns = exportReturns?.() ?? "null";
      functions.push({
        name,
        udfType: fn.kind,
        visibility: fn.visibility,
        args: exportArgs(),
        returns: returns === "null" ? null : returns,
      });
    } catch (e) {
      throw new AnalysisError(
        path,
        `Invalid validator for ${name}: ${String((e as Error).message)}`,
      );
    }
  }
  return functions;
}

function defaultExportJson(
  modules: LoadedModules,
  path: string,
  method: string,
): unknown {
  const namespace = modules.namespace(path);
  if (namespace === undefined) return null;
  const exported = namespace.default as Record<string, unknown> | undefined;
  const fn = exported?.[method];
  if (typeof fn !== "function") {
    throw new AnalysisError(
      path,
      `The default export of convex/${path} has no ${method}() method.`,
    );
  }
  return JSON.parse((fn as () => string).call(exported)) as unknown;
}

function httpRoutes(modules: LoadedModules): HttpRoute[] | null {
  if (modules.namespace("http.js") === undefined) return null;
  const router = modules.httpRouter();
  if (router === null) {
    throw new AnalysisError(
      "http.js",
      "The default export of convex/http.js is not a Router.",
    );
  }
  return router.getRoutes().map(([path, method]) => ({ path, method }));
}

function authProviders(modules: LoadedModules): unknown[] {
  const namespace = modules.namespace("auth.config.js");
  if (namespace === undefined) return [];
  const config = namespace.default as { providers?: unknown } | undefined;
  if (!Array.isArray(config?.providers)) {
    throw new AnalysisError(
      "auth.config.js",
      "The default export of convex/auth.config.js must be an object with a `providers` array.",
    );
  }
  return JSON.parse(JSON.stringify(config.providers)) as unknown[];
}
