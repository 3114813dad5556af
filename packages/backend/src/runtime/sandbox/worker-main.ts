/**
 * Entry point of a sandbox worker: imports the deployment's modules, then runs invocations the
 * host sends, proxying their syscalls to the host. See `worker-protocol.ts`.
 */
import {
  parentPort,
  receiveMessageOnPort,
  workerData,
} from "node:worker_threads";
import { analyzeLoadedModules, AnalysisError } from "./analyze.js";
import { setSandboxEnvironment } from "./determinism.js";
import { serializeUncaught } from "./errors.js";
import { SandboxExecutor } from "./executor.js";
import {
  SyscallError,
  type SyscallChannel,
  type SyscallReply,
} from "./invocation.js";
import { LoadedModules, ModuleImportError } from "./loaded-modules.js";
import { MessageBatcher } from "./message-batcher.js";
import { realSetImmediate } from "./originals.js";
import { prepareRealm } from "./realm.js";
import type {
  HostToWorker,
  SyncReply,
  WorkerInit,
  WorkerToHost,
} from "./worker-protocol.js";

/** How long a sync syscall may wait for the host before failing (the host answers at once). */
const SYNC_SYSCALL_TIMEOUT_MS = 30_000;

const init = workerData as WorkerInit;
if (parentPort === null)
  throw new Error("worker-main.ts must run in a worker thread");
const port = parentPort;
const outbox = new MessageBatcher<WorkerToHost>(
  (batch) => port.postMessage(batch),
  realSetImmediate,
);
const post = (message: WorkerToHost) => outbox.push(message);

process.setSourceMapsEnabled(true);
process.on("unhandledRejection", (reason) => {
  post({
    type: "log",
    level: "ERROR",
    messages: [`Unhandled rejection: ${String(reason)}`],
  });
});

const tracker = prepareRealm({
  watchdog: init.watchdog,
  consoleFallback: (level, messages) => post({ type: "log", level, messages }),
});
setSandboxEnvironment(init.environmentVariables);

const syncFlag = new Int32Array(init.syncFlag);
const pending = new Map<
  number,
  { resolve(reply: SyscallReply): void; reject(error: Error): void }
>();
let nextCallId = 1;

function channelFor(invocationId: number): SyscallChannel {
  return {
    asyncSyscall(op, argsJson) {
      const callId = nextCallId++;
      post({ type: "syscall", invocationId, callId, op, argsJson });
      return new Promise((resolve, reject) =>
        pending.set(callId, { resolve, reject }),
      );
    },
    syncSyscall(op, argsJson) {
      Atomics.store(syncFlag, 0, 0);
      post({ type: "syncSyscall", invocationId, op, argsJson });
      outbox.flush();
      Atomics.wait(syncFlag, 0, 0, SYNC_SYSCALL_TIMEOUT_MS);
      const reply = receiveMessageOnPort(init.syncPort)?.message as
        SyncReply | undefined;
      if (reply === undefined) throw new Error(`The host did not answer ${op}`);
      if (!reply.ok) throw new SyscallError(reply.message);
      return reply.result;
    },
    notify(op, argsJson) {
      post({ type: "notify", invocationId, op, argsJson });
    },
  };
}

async function start(): Promise<void> {
  let modules: LoadedModules;
  try {
    modules = await LoadedModules.load(init.deploymentDir, init.modulePaths);
  } catch (e) {
    const path = e instanceof ModuleImportError ? e.path : null;
    const cause = e instanceof ModuleImportError ? e.cause : e;
    post({
      type: "loadFailed",
      path,
      message: serializeUncaught(cause, init.deploymentDir).message,
    });
    return;
  }
  if (init.mode === "analyze") {
    try {
      post({
        type: "analysis",
        analysis: analyzeLoadedModules(modules, init.environments),
      });
    } catch (e) {
      const path = e instanceof AnalysisError ? e.path : null;
      post({ type: "loadFailed", path, message: String((e as Error).message) });
    }
    return;
  }
  const executor = new SandboxExecutor(modules, tracker, init.deploymentDir);
  port.on("message", (batch: HostToWorker[]) => {
    for (const message of batch) handle(executor, message);
  });
  post({ type: "ready" });
}

function handle(executor: SandboxExecutor, message: HostToWorker): void {
  switch (message.type) {
    case "syscallResult": {
      const call = pending.get(message.callId);
      pending.delete(message.callId);
      if (message.ok) {
        call?.resolve({
          result: message.result,
          logLines: message.logLines,
          atEnd: message.atEnd,
        });
      } else {
        call?.reject(
          new SyscallError(message.message, message.data, message.logLines),
        );
      }
      return;
    }
    case "run":
      void executor
        .run(message.spec, channelFor(message.spec.id))
        .then((outcome) =>
          post({ type: "outcome", invocationId: message.spec.id, outcome }),
        );
      return;
    case "runHttp":
      void executor
        .runHttp(message.spec, channelFor(message.spec.id))
        .then((outcome) =>
          post({ type: "httpOutcome", invocationId: message.spec.id, outcome }),
        );
      return;
    case "setEnvironment":
      setSandboxEnvironment(message.vars);
      return;
    default:
      message satisfies never;
  }
}

void start();
