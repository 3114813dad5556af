/**
 * Test helpers: small Convex apps written as plain ES modules that import the real `convex`
 * package by absolute URL, as a pushed bundle would carry its own copy.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ModuleSource } from "./module-store.js";

const require = createRequire(import.meta.url);
const convexRoot = dirname(require.resolve("convex/package.json"));

/** `import … from SERVER` in a test module imports the real `convex/server`. */
export const SERVER = pathToFileURL(
  join(convexRoot, "dist/esm/server/index.js"),
).href;
/** `import … from VALUES` in a test module imports the real `convex/values`. */
export const VALUES = pathToFileURL(
  join(convexRoot, "dist/esm/values/index.js"),
).href;

/** A module pushed to the default environment. */
export function testModule(path: string, source: string): ModuleSource {
  return { path, source, environment: "isolate" };
}
