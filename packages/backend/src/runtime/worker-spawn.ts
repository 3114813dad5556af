/**
 * Starts a sandbox worker. Built code runs `sandbox/worker-main.js` directly; when Hull runs from
 * its TypeScript sources (tests, `tsx`), the worker first registers tsx's loader, because a
 * worker does not inherit the parent's module hooks.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { WATCHDOG_BUFFER_BYTES } from "./sandbox/user-time.js";
import type { WorkerInit } from "./sandbox/worker-protocol.js";

export interface SpawnedWorker {
  readonly worker: Worker;
  readonly watchdog: SharedArrayBuffer;
  readonly syncFlag: Int32Array;
  readonly syncPort: MessagePort;
}

/** What the caller decides about a new worker; the buffers and ports are made here. */
export type WorkerOptions = Omit<
  WorkerInit,
  "watchdog" | "syncFlag" | "syncPort"
> & {
  readonly memoryMb: number;
};

export function spawnSandboxWorker(options: WorkerOptions): SpawnedWorker {
  const { memoryMb, ...rest } = options;
  const watchdog = new SharedArrayBuffer(WATCHDOG_BUFFER_BYTES);
  const syncFlag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const init: WorkerInit = { ...rest, watchdog, syncFlag, syncPort: port2 };
  const workerOptions = {
    workerData: init,
    transferList: [port2],
    // User code sees the deployment's variables, never the server's own environment.
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
  };
  const here = import.meta.url;
  const worker = here.endsWith(".ts")
    ? new Worker(tsBootstrap(new URL("./sandbox/worker-main.ts", here).href), {
        ...workerOptions,
        eval: true,
      })
    : new Worker(new URL("./sandbox/worker-main.js", here), workerOptions);
  return {
    worker,
    watchdog,
    syncFlag: new Int32Array(syncFlag),
    syncPort: port1,
  };
}

function tsBootstrap(entry: string): string {
  const require = createRequire(import.meta.url);
  const tsxRoot = dirname(require.resolve("tsx/package.json"));
  const api = pathToFileURL(join(tsxRoot, "dist/esm/api/index.mjs")).href;
  return `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
}
