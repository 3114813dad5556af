import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where `npm install` ran). */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../..",
);

/** The `hull` command, exactly what `npx hull` runs. */
export const HULL_BIN = path.join(REPO_ROOT, "packages/backend/bin/hull.js");

/** The official CLI, exactly what `npx convex` runs. */
export const CONVEX_BIN = path.join(
  REPO_ROOT,
  "node_modules/convex/bin/main.js",
);

/** Fixture apps: `fixtures/<name>/convex/*.ts`. */
export const FIXTURES_DIR = path.join(REPO_ROOT, "packages/e2e/fixtures");
