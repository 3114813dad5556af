/**
 * Starts a `worker_threads` worker from one of Hull's own modules. Built code runs the `.js`
 * module directly; when Hull runs from its TypeScript sources (tests, `tsx`), the worker first
 * registers tsx's loader, because a worker does not inherit the parent's module hooks.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the module `path` (relative, without extension) next to `callerUrl` (the caller's
 * `import.meta.url`): its `.ts` source when the caller runs from sources, else its `.js` build.
 */
export function startWorkerThread(
  callerUrl: string,
  path: string,
  options: Omit<WorkerOptions, "eval">,
): Worker {
  const fromSources = callerUrl.endsWith(".ts");
  const entry = new URL(`${path}.${fromSources ? "ts" : "js"}`, callerUrl);
  if (!fromSources) return new Worker(entry, options);
  const require = createRequire(import.meta.url);
  const tsxRoot = dirname(require.resolve("tsx/package.json"));
  const api = pathToFileURL(join(tsxRoot, "dist/esm/api/index.mjs")).href;
  const bootstrap = `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new Worker(bootstrap, { ...options, eval: true });
}
