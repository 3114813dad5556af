/**
 * Where user code runs, seen from the host: a pool of workers (`worker-pool.ts`) or this process
 * (`in-process-sandbox.ts`). Both run the same sandbox code and call back into the host through
 * the invocation's `SyscallChannel`.
 */
import type {
  HttpInvocationOutcome,
  HttpInvocationSpec,
  InvocationOutcome,
  InvocationSpec,
} from "./sandbox/executor.js";
import type { SyscallChannel } from "./sandbox/invocation.js";

export interface SandboxHost {
  /**
   * Runs one invocation. Resolves with its outcome (failures included). Rejects with
   * `SandboxLostError` when the invocation was lost because its worker died for another
   * invocation's fault: the invocation had no effect and may be retried.
   */
  run(
    spec: InvocationSpec,
    channel: SyscallChannel,
  ): Promise<InvocationOutcome>;
  runHttp(
    spec: HttpInvocationSpec,
    channel: SyscallChannel,
  ): Promise<HttpInvocationOutcome>;
  /** Replaces the environment variables user code sees. */
  setEnvironment(vars: Readonly<Record<string, string>>): void;
  /**
   * Waits up to `drainMs` (default: as long as it takes; every invocation has a deadline) for
   * in-flight invocations, then releases the sandbox; invocations still running are lost.
   */
  close(drainMs?: number): Promise<void>;
}

/** An invocation lost with its worker, which was stopped because of another invocation. */
export class SandboxLostError extends Error {
  override readonly name = "SandboxLostError";
}

/** Limits the host enforces on user code. */
export interface RuntimeLimits {
  /** User time of a query or mutation, ms (Convex: 1 s). */
  readonly queryMutationTimeoutMs: number;
  /** Time of an action or HTTP action, ms (Convex: 10 minutes for Node actions). */
  readonly actionTimeoutMs: number;
  /**
   * Wall-clock time of a query or mutation, ms (Convex: 15 s of system time): stops one that
   * awaits something that never settles.
   */
  readonly queryMutationWallClockMs: number;
  /** Heap limit of one worker, MB. */
  readonly workerMemoryMb: number;
}

export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = {
  queryMutationTimeoutMs: 1000,
  actionTimeoutMs: 10 * 60 * 1000,
  queryMutationWallClockMs: 15_000,
  // Several invocations share a worker; Convex's 64 MB is per isolate, so give the worker room.
  workerMemoryMb: 512,
};

/** Convex's message for a function that exhausted the memory it may use. */
export function outOfMemoryMessage(limitMb: number): string {
  return `JavaScript execution ran out of memory (maximum memory usage: ${limitMb} MB)`;
}
