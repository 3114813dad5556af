/**
 * One sandbox worker seen from the host: its in-flight invocations, the routing of their
 * syscalls to their channels, and how it dies (terminated by the watchdog, out of memory,
 * crashed). A dead worker settles every in-flight invocation: the one to blame with its failure,
 * the others with `SandboxLostError`.
 */
import type { Logger } from "../shared/logger.js";
import { MessageBatcher } from "./sandbox/message-batcher.js";
import { realDateNow, realSetImmediate } from "./sandbox/originals.js";
import { SandboxLostError, outOfMemoryMessage } from "./sandbox-host.js";
import type {
  HttpInvocationOutcome,
  HttpInvocationSpec,
  InvocationOutcome,
  InvocationSpec,
} from "./sandbox/executor.js";
import type { SyscallChannel, SyscallError } from "./sandbox/invocation.js";
import { timeoutError } from "./sandbox/convex-global.js";
import { readWatchdog } from "./sandbox/user-time.js";
import type {
  HostToWorker,
  SyncReply,
  WorkerToHost,
} from "./sandbox/worker-protocol.js";
import {
  spawnSandboxWorker,
  type SpawnedWorker,
  type WorkerOptions,
} from "./worker-spawn.js";

type AnyOutcome = InvocationOutcome | HttpInvocationOutcome;

interface InFlight {
  readonly channel: SyscallChannel;
  readonly timeLimitMs: number;
  resolve(outcome: AnyOutcome): void;
  reject(error: Error): void;
}

/** Margin past a slice's deadline before the watchdog acts, for timer and clock jitter. */
const WATCHDOG_GRACE_MS = 20;

export class PooledWorker {
  readonly #spawned: SpawnedWorker;
  readonly #logger: Logger;
  readonly #memoryMb: number;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #outbox: MessageBatcher<HostToWorker>;
  readonly ready: Promise<void>;
  #dead = false;
  #isReady = false;
  #onDeath: () => void = () => {};

  constructor(options: WorkerOptions, logger: Logger) {
    this.#spawned = spawnSandboxWorker(options);
    const worker = this.#spawned.worker;
    this.#outbox = new MessageBatcher<HostToWorker>(
      (batch) => worker.postMessage(batch),
      realSetImmediate,
    );
    this.#logger = logger;
    this.#memoryMb = options.memoryMb;
    this.ready = new Promise((resolve, reject) => {
      const worker = this.#spawned.worker;
      worker.on("message", (batch: WorkerToHost[]) => {
        for (const message of batch) {
          if (message.type === "ready") resolve();
          else if (message.type === "loadFailed") {
            reject(new ModuleLoadFailure(message.path, message.message));
            void this.terminate();
          } else this.#handle(message);
        }
      });
      worker.on("error", (error) => {
        reject(error);
        this.#die(error);
      });
      worker.on("exit", (code) => {
        reject(
          new Error(
            `The sandbox worker exited with code ${code} before it was ready`,
          ),
        );
        this.#die(null);
      });
    });
    this.ready.then(
      () => (this.#isReady = true),
      () => {},
    );
  }

  /** True once the modules are imported and until the worker dies. */
  get isReady(): boolean {
    return this.#isReady && !this.#dead;
  }

  get load(): number {
    return this.#inFlight.size;
  }

  /** Whether user code has been running on this worker without a pause for `ms` or longer. */
  busyFor(ms: number): boolean {
    const { runningId, sliceStartMs } = readWatchdog(this.#spawned.watchdog);
    return runningId !== 0 && realDateNow() - sliceStartMs >= ms;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Called once when the worker dies, after in-flight invocations are settled. */
  set onDeath(listener: () => void) {
    this.#onDeath = listener;
  }

  run(
    spec: InvocationSpec,
    channel: SyscallChannel,
  ): Promise<InvocationOutcome> {
    return this.#start(spec.id, spec.timeLimitMs, channel, {
      type: "run",
      spec,
    }) as Promise<InvocationOutcome>;
  }

  runHttp(
    spec: HttpInvocationSpec,
    channel: SyscallChannel,
  ): Promise<HttpInvocationOutcome> {
    return this.#start(spec.id, spec.timeLimitMs, channel, {
      type: "runHttp",
      spec,
    }) as Promise<HttpInvocationOutcome>;
  }

  /** Settles `invocationId` now with `outcome`; a later answer from the worker is ignored. */
  abandon(invocationId: number, outcome: AnyOutcome): void {
    const entry = this.#inFlight.get(invocationId);
    this.#inFlight.delete(invocationId);
    entry?.resolve(outcome);
  }

  post(message: HostToWorker): void {
    if (!this.#dead) this.#outbox.push(message);
  }

  /** Terminates the worker if its running slice is past its deadline. */
  checkWatchdog(): void {
    if (this.#dead || this.#inFlight.size === 0) return;
    const { runningId, deadlineMs } = readWatchdog(this.#spawned.watchdog);
    if (runningId !== 0 && realDateNow() > deadlineMs + WATCHDOG_GRACE_MS) {
      const limit = this.#inFlight.get(runningId)?.timeLimitMs ?? 0;
      this.#logger.warn("terminating a sandbox worker stuck in user code", {
        invocationId: runningId,
      });
      this.#die(timeoutError(limit));
    }
  }

  async terminate(): Promise<void> {
    this.#dead = true;
    await this.#spawned.worker.terminate();
  }

  #start(
    id: number,
    timeLimitMs: number,
    channel: SyscallChannel,
    message: HostToWorker,
  ): Promise<AnyOutcome> {
    if (this.#dead)
      return Promise.reject(
        new SandboxLostError("The sandbox worker has stopped"),
      );
    return new Promise((resolve, reject) => {
      this.#inFlight.set(id, { channel, timeLimitMs, resolve, reject });
      this.#outbox.push(message);
    });
  }

  #handle(message: WorkerToHost): void {
    switch (message.type) {
      case "syscall":
        return this.#asyncSyscall(
          message.invocationId,
          message.callId,
          message.op,
          message.argsJson,
        );
      case "syncSyscall":
        return this.#syncSyscall(
          message.invocationId,
          message.op,
          message.argsJson,
        );
      case "notify":
        this.#inFlight
          .get(message.invocationId)
          ?.channel.notify(message.op, message.argsJson);
        return;
      case "outcome":
      case "httpOutcome": {
        const entry = this.#inFlight.get(message.invocationId);
        this.#inFlight.delete(message.invocationId);
        entry?.resolve(message.outcome);
        return;
      }
      case "log":
        this.#logger.info(`[${message.level}] ${message.messages.join(" ")}`, {
          source: "sandbox",
        });
        return;
      case "ready":
      case "loadFailed":
      case "analysis":
        return;
      default:
        message satisfies never;
    }
  }

  #asyncSyscall(
    invocationId: number,
    callId: number,
    op: string,
    argsJson: string,
  ): void {
    const entry = this.#inFlight.get(invocationId);
    if (entry === undefined) return;
    entry.channel.asyncSyscall(op, argsJson).then(
      ({ result, logLines, atEnd }) =>
        this.post({
          type: "syscallResult",
          callId,
          ok: true,
          result,
          logLines,
          atEnd,
        }),
      (error: unknown) => {
        const { message, data, logLines } = error as Partial<SyscallError>;
        this.post({
          type: "syscallResult",
          callId,
          ok: false,
          message: String(message),
          ...(data === undefined ? {} : { data }),
          logLines,
        });
      },
    );
  }

  #syncSyscall(invocationId: number, op: string, argsJson: string): void {
    let reply: SyncReply;
    try {
      const entry = this.#inFlight.get(invocationId);
      if (entry === undefined) throw new Error("Unknown invocation");
      reply = { ok: true, result: entry.channel.syncSyscall(op, argsJson) };
    } catch (e) {
      reply = { ok: false, message: String((e as Error).message) };
    }
    this.#spawned.syncPort.postMessage(reply);
    Atomics.store(this.#spawned.syncFlag, 0, 1);
    Atomics.notify(this.#spawned.syncFlag, 0);
  }

  /** Settles everything in flight; `cause` is the failure of the invocation to blame, if known. */
  #die(cause: Error | null): void {
    if (this.#dead && this.#inFlight.size === 0) return;
    const wasDead = this.#dead;
    this.#dead = true;
    const { runningId } = readWatchdog(this.#spawned.watchdog);
    const blame = blameFor(cause, this.#memoryMb);
    for (const [id, entry] of this.#inFlight) {
      if (blame !== null && id === runningId) {
        entry.resolve({
          type: "failure",
          failure: { message: blame },
          timedOut: true,
          logLines: [],
          usedMs: entry.timeLimitMs,
        });
      } else {
        entry.reject(
          new SandboxLostError(
            "The sandbox worker running this function was stopped",
          ),
        );
      }
    }
    this.#inFlight.clear();
    void this.#spawned.worker.terminate();
    if (!wasDead) this.#onDeath();
  }
}

/** A module failed to import while a worker started. */
export class ModuleLoadFailure extends Error {
  override readonly name = "ModuleLoadFailure";
  readonly path: string | null;

  constructor(path: string | null, message: string) {
    super(message);
    this.path = path;
  }
}

function blameFor(cause: Error | null, memoryMb: number): string | null {
  if (cause === null) return null;
  if ((cause as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
    return outOfMemoryMessage(memoryMb);
  }
  return cause.message;
}
