/**
 * Messages between the host (`worker-pool.ts`) and a sandbox worker (`worker-main.ts`).
 *
 * Lifecycle: the host starts a worker with `WorkerInit` as `workerData`; the worker imports the
 * modules and answers `ready` (or `loadFailed`; in `analyze` mode, `analysis` or
 * `analysisFailed`, then the host terminates it). Afterwards the host sends `run`/`runHttp`, the
 * worker sends syscalls and finally one `outcome` per invocation.
 *
 * Both directions post arrays of messages (`message-batcher.ts`): everything sent in one turn of
 * the event loop travels together.
 *
 * Sync syscalls block the worker: it posts `syncSyscall` and waits on `syncFlag` (Atomics); the
 * host posts the reply on `syncPort`, then sets the flag and notifies.
 */
import type { MessagePort } from "node:worker_threads";
import type { AppAnalysis } from "../app-analysis.js";
import type { ModuleEnvironment } from "../module-store.js";
import type {
  HttpInvocationOutcome,
  HttpInvocationSpec,
  InvocationOutcome,
  InvocationSpec,
} from "./executor.js";
import type { LogLevel, LogLine } from "./log-collector.js";

export interface WorkerInit {
  readonly mode: "serve" | "analyze";
  /** Directory holding the deployment's module files. */
  readonly deploymentDir: string;
  /** Modules to import, in order. */
  readonly modulePaths: readonly string[];
  readonly environments: Readonly<Record<string, ModuleEnvironment>>;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly watchdog: SharedArrayBuffer;
  readonly syncFlag: SharedArrayBuffer;
  readonly syncPort: MessagePort;
}

export type HostToWorker =
  | { readonly type: "run"; readonly spec: InvocationSpec }
  | { readonly type: "runHttp"; readonly spec: HttpInvocationSpec }
  | {
      readonly type: "syscallResult";
      readonly callId: number;
      readonly ok: true;
      readonly result: string;
      readonly logLines?: readonly LogLine[] | undefined;
      readonly atEnd?: true | undefined;
    }
  | {
      readonly type: "syscallResult";
      readonly callId: number;
      readonly ok: false;
      readonly message: string;
      readonly data?: unknown;
      readonly logLines?: readonly LogLine[] | undefined;
    }
  | {
      readonly type: "setEnvironment";
      readonly vars: Readonly<Record<string, string>>;
    };

export type SyncReply =
  | { readonly ok: true; readonly result: string }
  | { readonly ok: false; readonly message: string };

export type WorkerToHost =
  | { readonly type: "ready" }
  | {
      readonly type: "loadFailed";
      readonly path: string | null;
      readonly message: string;
    }
  | { readonly type: "analysis"; readonly analysis: AppAnalysis }
  | {
      readonly type: "syscall";
      readonly invocationId: number;
      readonly callId: number;
      readonly op: string;
      readonly argsJson: string;
    }
  | {
      readonly type: "syncSyscall";
      readonly invocationId: number;
      readonly op: string;
      readonly argsJson: string;
    }
  | {
      readonly type: "notify";
      readonly invocationId: number;
      readonly op: string;
      readonly argsJson: string;
    }
  | {
      readonly type: "outcome";
      readonly invocationId: number;
      readonly outcome: InvocationOutcome;
    }
  | {
      readonly type: "httpOutcome";
      readonly invocationId: number;
      readonly outcome: HttpInvocationOutcome;
    }
  | {
      readonly type: "log";
      readonly level: LogLevel;
      readonly messages: string[];
    };
