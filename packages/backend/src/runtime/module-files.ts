/**
 * Lays a deployment's modules out as files, so a sandbox can `import()` them and their relative
 * `./_deps/…` imports resolve. One directory per distinct set of modules, reused when the same
 * set is activated again (e.g. after a restart).
 */
import { createHash } from "node:crypto";
import {
  access,
  mkdir,
  readdir,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize } from "node:path";
import { badRequest } from "../errors/backend-error.js";
import type { ModuleSource } from "./module-store.js";
import { hashModule } from "./module-store.js";

const COMPLETE_MARKER = ".complete";

/** Rejects module paths that would escape the deployment directory. */
export function assertSafeModulePath(path: string): void {
  const normalized = normalize(path);
  if (
    path === "" ||
    isAbsolute(path) ||
    normalized.startsWith("..") ||
    normalized !== path ||
    !path.endsWith(".js")
  ) {
    throw badRequest(
      "InvalidModulePath",
      `Invalid module path ${JSON.stringify(path)}.`,
    );
  }
}

/**
 * Writes `modules` under `cacheDir/<key>/` (key: a hash of paths and contents) with a
 * `package.json` marking them as ES modules, and returns the directory. Idempotent.
 */
export async function writeModuleFiles(
  cacheDir: string,
  modules: readonly ModuleSource[],
): Promise<string> {
  for (const module of modules) assertSafeModulePath(module.path);
  const key = createHash("sha256");
  for (const module of [...modules].sort((a, b) =>
    a.path < b.path ? -1 : 1,
  )) {
    key.update(
      `${module.path}\0${hashModule(module.source, module.sourceMap)}\0`,
    );
  }
  const dir = join(cacheDir, key.digest("hex").slice(0, 32));
  if (await exists(join(dir, COMPLETE_MARKER))) return dir;
  const staging = `${dir}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, "package.json"), '{"type":"module"}\n');
  for (const module of modules) {
    const file = join(staging, module.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, withSourceMapComment(module));
    if (module.sourceMap !== undefined)
      await writeFile(`${file}.map`, module.sourceMap);
  }
  await writeFile(join(staging, COMPLETE_MARKER), "");
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return dir;
}

/**
 * Removes every deployment directory under `cacheDir` except `keep` (the active deployment and
 * the one still draining). Imported modules stay loaded; only replacement workers of a pruned
 * deployment would miss them, and pruned deployments have no workers left.
 */
export async function pruneModuleFiles(
  cacheDir: string,
  keep: readonly string[],
): Promise<void> {
  const kept = new Set(keep.map((dir) => basename(dir)));
  for (const entry of await readdir(cacheDir).catch(() => [])) {
    if (!kept.has(entry)) {
      await rm(join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}

/** Points the module at its map file, so stack traces can be source-mapped. */
function withSourceMapComment(module: ModuleSource): string {
  if (
    module.sourceMap === undefined ||
    module.source.includes("//# sourceMappingURL=")
  ) {
    return module.source;
  }
  const name = module.path.slice(module.path.lastIndexOf("/") + 1);
  return `${module.source}\n//# sourceMappingURL=${name}.map\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
