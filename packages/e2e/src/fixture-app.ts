import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FIXTURES_DIR, REPO_ROOT } from "./repo-paths.js";

/** A copy of a fixture app in a temp dir, where the CLI may write `_generated/` and `.env.local`. */
export interface FixtureApp extends AsyncDisposable {
  /** The app directory (holds `package.json` and `convex/`). */
  readonly dir: string;
  /** A scratch HOME for the CLI. */
  readonly home: string;
  /** Writes (or replaces) `convex/<file>`. */
  writeModule(file: string, source: string): Promise<void>;
  /** Deletes `convex/<file>`. */
  removeModule(file: string): Promise<void>;
  /** Puts back the fixture's own `convex/<file>`. */
  restoreModule(file: string): Promise<void>;
}

/**
 * Copies `fixtures/<name>` to a fresh temp dir with `node_modules` linked to the repository's,
 * so the CLI bundles against the installed `convex` package. Dispose it to remove the copy.
 */
export async function copyFixture(name: string): Promise<FixtureApp> {
  const root = await fs.mkdtemp(
    path.join(os.tmpdir(), `hull-fixture-${name}-`),
  );
  const dir = path.join(root, "app");
  const home = path.join(root, "home");
  await fs.cp(path.join(FIXTURES_DIR, name), dir, { recursive: true });
  await fs.mkdir(home);
  await fs.symlink(
    path.join(REPO_ROOT, "node_modules"),
    path.join(dir, "node_modules"),
    "dir",
  );
  return {
    dir,
    home,
    writeModule: (file, source) =>
      fs.writeFile(path.join(dir, "convex", file), source),
    removeModule: (file) =>
      fs.rm(path.join(dir, "convex", file), { force: true }),
    restoreModule: (file) =>
      fs.copyFile(
        path.join(FIXTURES_DIR, name, "convex", file),
        path.join(dir, "convex", file),
      ),
    [Symbol.asyncDispose]: () => fs.rm(root, { recursive: true, force: true }),
  };
}
