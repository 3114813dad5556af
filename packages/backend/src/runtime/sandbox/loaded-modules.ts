/**
 * A deployment's modules imported into this realm, and the rule for recognising what they
 * export. Modules are files laid out under one directory (see `module-files.ts`), imported by
 * file URL so their relative `./_deps/…` imports resolve.
 */
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { withImportEnvironment } from "./determinism.js";

/** The kinds of exported function; `httpAction` only reachable through the router. */
export type ExportKind = "query" | "mutation" | "action" | "httpAction";

/** A registered function as the `convex` package builds it (own properties, see the reference §2.1). */
export interface RegisteredFunction {
  readonly kind: ExportKind;
  readonly visibility: "public" | "internal" | null;
  /** The exported object itself: callable, with `invokeQuery`/`invokeMutation`/… members. */
  readonly exported: Record<string, unknown>;
}

/** A failure to import one module: the module's path and what it threw. */
export class ModuleImportError extends Error {
  override readonly name = "ModuleImportError";
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(`Failed to import ${path}`, { cause });
    this.path = path;
  }
}

/** Classifies an export by its own flags, as Convex's `analyze` does; null when it is not a function. */
export function classifyExport(value: unknown): RegisteredFunction | null {
  if (
    (typeof value !== "function" && typeof value !== "object") ||
    value === null
  )
    return null;
  const exported = value as Record<string, unknown>;
  const kinds: ExportKind[] = [];
  if (Object.hasOwn(exported, "isQuery")) kinds.push("query");
  if (Object.hasOwn(exported, "isMutation")) kinds.push("mutation");
  if (Object.hasOwn(exported, "isAction")) kinds.push("action");
  if (kinds.length === 1 && kinds[0] !== undefined) {
    if (
      Object.hasOwn(exported, "isPublic") &&
      Object.hasOwn(exported, "isInternal")
    )
      return null;
    const visibility = Object.hasOwn(exported, "isPublic")
      ? "public"
      : Object.hasOwn(exported, "isInternal")
        ? "internal"
        : null;
    return { kind: kinds[0], visibility, exported };
  }
  if (
    kinds.length === 0 &&
    Object.hasOwn(exported, "isHttp") &&
    Object.hasOwn(exported, "invokeHttpAction")
  ) {
    return { kind: "httpAction", visibility: null, exported };
  }
  return null;
}

export class LoadedModules {
  readonly #namespaces: ReadonlyMap<string, Record<string, unknown>>;

  private constructor(
    namespaces: ReadonlyMap<string, Record<string, unknown>>,
  ) {
    this.#namespaces = namespaces;
  }

  /**
   * Imports `paths` (relative to `dir`) in order. Throws `ModuleImportError` naming the first
   * module that fails to import.
   */
  static async load(
    dir: string,
    paths: readonly string[],
  ): Promise<LoadedModules> {
    const namespaces = new Map<string, Record<string, unknown>>();
    await withImportEnvironment(async () => {
      for (const path of paths) {
        try {
          const url = pathToFileURL(join(dir, path)).href;
          namespaces.set(path, (await import(url)) as Record<string, unknown>);
        } catch (e) {
          throw new ModuleImportError(path, e);
        }
      }
    });
    return new LoadedModules(namespaces);
  }

  /**
   * Wraps module namespaces that were imported elsewhere (the in-process test harness imports
   * the app's TypeScript sources itself), keyed by module path (`"dir/mod.js"`).
   */
  static fromNamespaces(
    namespaces: ReadonlyMap<string, Record<string, unknown>>,
  ): LoadedModules {
    return new LoadedModules(new Map(namespaces));
  }

  /** The paths that were imported, in order. */
  get paths(): string[] {
    return [...this.#namespaces.keys()];
  }

  /** The module namespace of `path`, or undefined. */
  namespace(path: string): Record<string, unknown> | undefined {
    return this.#namespaces.get(path);
  }

  /** The function exported as `name` from `path`, or null. */
  getFunction(path: string, name: string): RegisteredFunction | null {
    const namespace = this.#namespaces.get(path);
    if (
      namespace === undefined ||
      !Object.prototype.hasOwnProperty.call(namespace, name)
    ) {
      return null;
    }
    return classifyExport(namespace[name]);
  }

  /** The default export of `http.js` when it is an HTTP router, else null. */
  httpRouter(): HttpRouterLike | null {
    const exported = this.#namespaces.get("http.js")?.default as
      Partial<HttpRouterLike> | undefined;
    if (exported?.isRouter !== true || typeof exported.lookup !== "function")
      return null;
    return exported as HttpRouterLike;
  }
}

/** The part of `convex/server`'s `HttpRouter` the runtime uses. */
export interface HttpRouterLike {
  readonly isRouter: true;
  lookup(path: string, method: string): [unknown, string, string] | null;
  getRoutes(): [string, string, unknown][];
}
