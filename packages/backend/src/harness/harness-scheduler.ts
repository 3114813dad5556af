/** Scheduled functions in the harness (wired to `model/scheduler.ts`, issue 5). */
import type { HarnessBackend } from "./harness-backend.js";

export class HarnessScheduler {
  readonly #backend: HarnessBackend;

  constructor(backend: HarnessBackend) {
    this.#backend = backend;
  }

  finishInProgress(): Promise<void> {
    void this.#backend;
    return Promise.resolve();
  }

  finishAll(advanceTimers: () => void, maxIterations: number): Promise<void> {
    void maxIterations;
    advanceTimers();
    return Promise.resolve();
  }
}
