/** Starts a sandbox worker (`sandbox/worker-main.ts`) with its shared buffers and sync port. */
import {
  MessageChannel,
  type MessagePort,
  type Worker,
} from "node:worker_threads";
import { startWorkerThread } from "../shared/worker-thread.js";
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
  const worker = startWorkerThread(
    import.meta.url,
    "./sandbox/worker-main",
    workerOptions,
  );
  return {
    worker,
    watchdog,
    syncFlag: new Int32Array(syncFlag),
    syncPort: port1,
  };
}
