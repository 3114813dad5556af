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
 * `entry`: the worker module's URL as the caller's `import.meta.url` resolves it (ending in `.ts`
 * when running from sources, `.js` when built).
 */
export function startWorkerThread(
  entry: URL,
  options: Omit<WorkerOptions, "eval">,
): Worker {
  if (!entry.href.endsWith(".ts")) return new Worker(entry, options);
  const require = createRequire(import.meta.url);
  const tsxRoot = dirname(require.resolve("tsx/package.json"));
  const api = pathToFileURL(join(tsxRoot, "dist/esm/api/index.mjs")).href;
  const bootstrap = `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new Worker(bootstrap, { ...options, eval: true });
}
