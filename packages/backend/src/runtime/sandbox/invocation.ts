/**
 * The sandbox's view of one running function: everything the `Convex` global, the deterministic
 * globals and the console need to route a call to the invocation that made it. Found through
 * `AsyncLocalStorage`, which follows every `await` in user code and in the `convex` package.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { LogCollector, LogLine } from "./log-collector.js";
import type { Uint32Source } from "./seeded-random.js";

/** What kind of function an invocation runs; decides the globals and syscalls it gets. */
export type InvocationKind = "query" | "mutation" | "action" | "httpAction";

/**
 * The sandbox's link to the host. The host answers every op the sandbox cannot answer itself.
 * Rejections are `SyscallError`s.
 */
export interface SyscallChannel {
  /** An async op; resolves with the host's JSON text. */
  asyncSyscall(op: string, argsJson: string): Promise<SyscallReply>;
  /** A sync op the host answers synchronously (`1.0/db/normalizeId`). Throws `SyscallError`. */
  syncSyscall(op: string, argsJson: string): string;
  /** A fire-and-forget notice (a query stream closed early). */
  notify(op: string, argsJson: string): void;
}

/**
 * The host's answer to an async syscall: the JSON text the package receives and, for a nested
 * function call, the callee's log lines (they join the caller's output at this point).
 */
export interface SyscallReply {
  readonly result: string;
  readonly logLines?: readonly LogLine[] | undefined;
  /**
   * `queryStreamNext` only: the stream's next call will end it (no more documents), provided the
   * invocation issues no other syscall first; the sandbox then answers it itself.
   */
  readonly atEnd?: true | undefined;
}

/**
 * An async-syscall failure as the `convex` package expects it: `message`, and for a
 * `ConvexError` the convex-JSON `data` (a value, not a string).
 */
export class SyscallError extends Error {
  override readonly name = "SyscallError";
  readonly data: unknown;
  readonly logLines: readonly LogLine[] | undefined;

  constructor(message: string, data?: unknown, logLines?: readonly LogLine[]) {
    super(message);
    this.data = data;
    this.logLines = logLines;
  }
}

/**
 * An in-sandbox query stream: allocated synchronously, started by the first `queryStreamNext`.
 * `atEnd`: the host said the next call ends the stream, valid while no other syscall was issued
 * after the one numbered `atEndAfter`.
 */
export interface SandboxQuery {
  readonly queryJson: unknown;
  state: "new" | "started" | "atEnd" | "done";
  atEndAfter: number;
}

export interface SandboxInvocation {
  readonly id: number;
  readonly kind: InvocationKind;
  /** Queries and mutations: frozen time, seeded randomness, no fetch or timers. */
  readonly deterministic: boolean;
  /** `Date.now()` inside a deterministic invocation. */
  readonly nowMs: number;
  /** Seeded uint32 generator behind `Math.random` and `crypto` in deterministic invocations. */
  readonly random: Uint32Source;
  /** `1.0/getSnapshotTs` answer (convex-JSON text), or null outside transactions. */
  readonly snapshotTsJson: string | null;
  readonly channel: SyscallChannel;
  readonly logs: LogCollector;
  readonly queries: Map<number, SandboxQuery>;
  nextQueryId: number;
  /** Async syscalls issued so far (numbers them), and how many are awaiting the host. */
  asyncSyscallsIssued: number;
  asyncSyscallsInFlight: number;
  /** User time allowed, in ms. */
  readonly timeLimitMs: number;
  /** User time used so far, in ms (see `user-time.ts`). */
  usedMs: number;
  /** Set when the invocation ran past a limit: its result is replaced with `failure`. */
  failure: Error | null;
}

export const invocationStorage = new AsyncLocalStorage<SandboxInvocation>();

/** The invocation whose code is running now, if any. */
export function currentInvocation(): SandboxInvocation | undefined {
  return invocationStorage.getStore();
}
