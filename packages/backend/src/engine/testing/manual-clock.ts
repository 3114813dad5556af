/**
 * A `Clock` for tests: time moves only when told to (`advance`, `set`), or by the amount slept
 * when `autoAdvance` is on, so sleeps resolve at once and in a deterministic order.
 */
import type { Clock } from "../../shared/clock.js";

export class ManualClock implements Clock {
  #now: number;
  /** Every sleep requested, in ms, in call order. */
  readonly sleeps: number[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Records the sleep, advances time by it and resolves on the next macrotask. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.#now += ms;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      setImmediate(resolve);
    });
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = ms;
  }
}
