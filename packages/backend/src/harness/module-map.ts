/**
 * Module discovery as `convex-test` does it: a map from file path to a lazy import (normally
 * `import.meta.glob("./**\/*.*s")`), whose functions root is the path prefix in front of
 * `_generated/`. Entry modules follow the Convex CLI's rules (no `_generated/`, dotfiles, files
 * with several dots such as `*.test.ts` or `auth.config.ts`, or spaces), and are keyed the way
 * the runtime names them (`"dir/mod.js"`).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/** A lazy import of one module, as `import.meta.glob` produces it. */
export type ModuleLoader = () => Promise<unknown>;

/** File path (relative or absolute) → lazy import. */
export type ModuleMap = Readonly<Record<string, ModuleLoader>>;

/** The entry modules of an app: runtime path (`"dir/mod.js"`) → loader. */
export type EntryModules = ReadonlyMap<string, ModuleLoader>;

const GENERATED = "_generated/";
const ENTRY_EXTENSIONS = [
  ".ts",
  ".tsx",
  ".js",
  ".jsx",
  ".mjs",
  ".cjs",
  ".mts",
  ".cts",
];

/** Thrown when the map has no `_generated/` module to find the functions root by. */
export function missingGeneratedError(userProvided: boolean): Error {
  return new Error(
    'Could not find the "_generated" directory, make sure to run `npx convex dev` or ' +
      "`npx convex codegen`. " +
      (userProvided
        ? 'Make sure your `import.meta.glob` includes the files in the "_generated" directory'
        : "If your Convex functions aren't defined in a directory called " +
          '"convex" sibling to your node_modules, provide the second argument to `convexTest`'),
  );
}

/**
 * The functions root of `modules`: the prefix of the first path that contains `_generated/`.
 *
 * @throws Error (`missingGeneratedError`) when no path contains `_generated/`.
 */
export function findModulesRoot(modules: ModuleMap): string {
  for (const path of Object.keys(modules)) {
    const normalized = path.split(sep).join("/");
    const at = normalized.indexOf(GENERATED);
    if (at === 0 || (at > 0 && normalized[at - 1] === "/")) {
      return normalized.slice(0, at);
    }
  }
  throw missingGeneratedError(true);
}

/** The entry modules under the `_generated` root, by runtime path, CLI rules applied. */
export function entryModules(modules: ModuleMap): EntryModules {
  const root = findModulesRoot(modules);
  const entries = new Map<string, ModuleLoader>();
  for (const [path, load] of Object.entries(modules)) {
    const normalized = path.split(sep).join("/");
    if (!normalized.startsWith(root)) continue;
    const runtimePath = toRuntimePath(normalized.slice(root.length));
    if (runtimePath !== null) entries.set(runtimePath, load);
  }
  return entries;
}

/** `"dir/mod.ts"` → `"dir/mod.js"`; null for files the Convex CLI does not bundle. */
export function toRuntimePath(relativePath: string): string | null {
  const extension = ENTRY_EXTENSIONS.find((e) => relativePath.endsWith(e));
  if (extension === undefined || relativePath.endsWith(".d.ts")) return null;
  if (relativePath.startsWith(GENERATED) || relativePath.includes(" "))
    return null;
  const base = relativePath.slice(relativePath.lastIndexOf("/") + 1);
  if (base.startsWith(".") || base.startsWith("#")) return null;
  if ((base.match(/\./g) ?? []).length > 1) return null;
  if (base === "schema.ts" || base === "schema.js") return null;
  return `${relativePath.slice(0, -extension.length)}.js`;
}

const discovered = new Map<string, ModuleMap>();

/**
 * The default discovery when `convexTest` gets no modules: the functions directory of the
 * project in the working directory (`convex.json`'s `functions`, else `convex/`), read from
 * disk and imported with dynamic `import()` (which vitest and tsx transform like any import).
 * Cached per directory.
 *
 * @throws Error (`missingGeneratedError`) when the directory has no `_generated/`.
 */
export function discoverModules(cwd: string = process.cwd()): ModuleMap {
  const root = resolve(cwd, functionsDir(cwd));
  const cached = discovered.get(root);
  if (cached !== undefined) return cached;
  if (!existsSync(join(root, "_generated"))) throw missingGeneratedError(false);
  const map: Record<string, ModuleLoader> = {};
  for (const file of listFiles(root)) {
    const key = `./${relative(root, file).split(sep).join("/")}`;
    const url = pathToFileURL(file).href;
    map[key] = () => import(url);
  }
  discovered.set(root, map);
  return map;
}

function functionsDir(cwd: string): string {
  const config = join(cwd, "convex.json");
  if (!existsSync(config)) return "convex";
  const parsed = JSON.parse(readFileSync(config, "utf8")) as {
    functions?: unknown;
  };
  return typeof parsed.functions === "string" ? parsed.functions : "convex";
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
