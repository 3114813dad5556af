/**
 * Accounts user time to invocations, and publishes the running invocation for the host's
 * watchdog.
 *
 * A "slice" is a stretch of synchronous user code: it starts when an invocation begins or when
 * one of its syscalls resolves (`enter`), and it ends at the next check phase of the event loop
 * (`setImmediate`), which runs only after the current macrotask and its microtasks are done. Time
 * between slices (waiting for the host) is not user time.
 *
 * A slice that never ends (an infinite loop) cannot be stopped from inside. The tracker writes the
 * running invocation's id and the wall-clock deadline of its slice into a shared buffer; the
 * host's watchdog (`worker-pool.ts`) terminates the worker when a slice outlives its deadline.
 */
import type { SandboxInvocation } from "./invocation.js";
import { realDateNow, realSetImmediate } from "./originals.js";

/** Layout of the shared watchdog buffer: Int32 slot 0 = running invocation id (0: none). */
const RUNNING_ID_SLOT = 0;
/** Float64 slot 1 (byte offset 8) = the running slice's deadline, ms since the epoch. */
const DEADLINE_SLOT = 1;
/** Float64 slot 2 (byte offset 16) = when the running slice started, ms since the epoch. */
const SLICE_START_SLOT = 2;
/** Size in bytes of the shared watchdog buffer. */
export const WATCHDOG_BUFFER_BYTES = 24;

/** Reads a watchdog buffer from the host side. */
export function readWatchdog(buffer: SharedArrayBuffer): {
  runningId: number;
  deadlineMs: number;
  sliceStartMs: number;
} {
  const slots = new Float64Array(buffer);
  return {
    runningId: Atomics.load(new Int32Array(buffer, 0, 1), RUNNING_ID_SLOT),
    deadlineMs: slots[DEADLINE_SLOT] ?? 0,
    sliceStartMs: slots[SLICE_START_SLOT] ?? 0,
  };
}

export class UserTimeTracker {
  readonly #ids: Int32Array | null;
  readonly #deadlines: Float64Array | null;
  #running: SandboxInvocation | null = null;
  #sliceStart = 0;
  #endScheduled = false;

  /** `watchdog` is the shared buffer of a worker; null in process (nothing can stop a loop there). */
  constructor(watchdog: SharedArrayBuffer | null) {
    this.#ids = watchdog === null ? null : new Int32Array(watchdog, 0, 1);
    this.#deadlines = watchdog === null ? null : new Float64Array(watchdog);
  }

  /** Marks the start of a slice of `invocation`'s code. */
  enter(invocation: SandboxInvocation): void {
    this.#closeSlice();
    this.#running = invocation;
    this.#sliceStart = realDateNow();
    if (this.#ids !== null && this.#deadlines !== null) {
      this.#deadlines[SLICE_START_SLOT] = this.#sliceStart;
      this.#deadlines[DEADLINE_SLOT] =
        this.#sliceStart +
        Math.max(invocation.timeLimitMs - invocation.usedMs, 0);
      Atomics.store(this.#ids, RUNNING_ID_SLOT, invocation.id);
    }
    if (!this.#endScheduled) {
      this.#endScheduled = true;
      realSetImmediate(() => {
        this.#endScheduled = false;
        this.#closeSlice();
      });
    }
  }

  /** Ends the current slice now if it is `invocation`'s (the invocation finished). */
  leave(invocation: SandboxInvocation): void {
    if (this.#running === invocation) this.#closeSlice();
  }

  #closeSlice(): void {
    const running = this.#running;
    if (running === null) return;
    running.usedMs += realDateNow() - this.#sliceStart;
    this.#running = null;
    if (this.#ids !== null) Atomics.store(this.#ids, RUNNING_ID_SLOT, 0);
  }
}
