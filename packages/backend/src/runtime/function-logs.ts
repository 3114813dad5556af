/**
 * The log of finished function executions, for `npx convex dev`/`npx convex logs`
 * (`GET /api/stream_function_logs`, a long poll) and for in-process subscribers. A bounded ring
 * buffer: the oldest entries are dropped first.
 */
import type { LogLine } from "./sandbox/log-collector.js";

export interface FunctionExecutionLog {
  readonly udfType: "Query" | "Mutation" | "Action" | "HttpAction";
  /** `"messages.js:list"`, or `"GET /path"` for HTTP actions. */
  readonly identifier: string;
  /**
   * When the execution finished, in ms since the epoch. Strictly increasing across entries, so
   * it doubles as the polling cursor.
   */
  readonly timestampMs: number;
  readonly executionTimeMs: number;
  readonly logLines: readonly LogLine[];
  /** The error message of a failed execution, else null. */
  readonly error: string | null;
  readonly requestId: string;
}

/** How many executions are kept for pollers that fall behind. */
const DEFAULT_CAPACITY = 10_000;
/** Cursor step between entries finishing in the same millisecond. */
const CURSOR_EPSILON_MS = 0.001;

export class FunctionLogs {
  readonly #capacity: number;
  readonly #entries: FunctionExecutionLog[] = [];
  readonly #listeners = new Set<(entry: FunctionExecutionLog) => void>();
  #lastTimestamp = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** Records an execution; its `timestampMs` is adjusted to keep timestamps strictly increasing. */
  publish(entry: FunctionExecutionLog): void {
    const timestampMs = Math.max(
      entry.timestampMs,
      this.#lastTimestamp + CURSOR_EPSILON_MS,
    );
    this.#lastTimestamp = timestampMs;
    const stored = { ...entry, timestampMs };
    this.#entries.push(stored);
    if (this.#entries.length > this.#capacity) this.#entries.shift();
    for (const listener of this.#listeners) listener(stored);
  }

  /** Entries with `timestampMs > cursorMs`, oldest first, and the cursor to poll with next. */
  since(cursorMs: number): {
    entries: FunctionExecutionLog[];
    newCursor: number;
  } {
    let start = this.#entries.length;
    while (start > 0 && (this.#entries[start - 1]?.timestampMs ?? 0) > cursorMs)
      start--;
    const entries = this.#entries.slice(start);
    return { entries, newCursor: Math.max(cursorMs, this.#lastTimestamp) };
  }

  /** Resolves once an entry newer than `cursorMs` exists, or when `signal` aborts. */
  waitForEntries(cursorMs: number, signal: AbortSignal): Promise<void> {
    if (this.#lastTimestamp > cursorMs || signal.aborted)
      return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const unsubscribe = this.subscribe(() => done());
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Calls `listener` for every new entry; returns the unsubscribe function. */
  subscribe(listener: (entry: FunctionExecutionLog) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
