/**
 * Scheduled functions in the harness: `model/scheduler.ts`'s `Scheduler` over the instance's
 * database, running jobs through the instance's executor. Its timers are the global
 * `setTimeout` at the moment they are armed, so vitest's fake timers (`vi.useFakeTimers()`,
 * `vi.advanceTimersByTime`, `vi.runAllTimers`) decide when jobs become due, as with
 * `convex-test`; without fake timers, jobs run at their real time. Created on the instance's
 * first scheduled job (or first `finish…` call), so instances that never schedule pay nothing.
 */
import {
  Scheduler,
  type ScheduledFunctionExecutor,
} from "../model/scheduler.js";
import { SCHEDULED_FUNCTIONS_TABLE } from "../model/scheduled-jobs.js";
import type { Clock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import { convexToJson } from "../values/json.js";
import { canonicalizeUdfPath } from "../runtime/udf-path.js";
import type { HarnessBackend } from "./harness-backend.js";

/** `Date.now()` and the global timers as they are when called (fake or real). */
const testTimersClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(resolve, ms);
      // A job due later must not keep a script (e.g. a benchmark) alive once it is done.
      (timer as { unref?: () => void }).unref?.();
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    }),
};

export class HarnessScheduler {
  readonly #scheduler: Scheduler;
  readonly #started: Promise<void>;

  private constructor(backend: HarnessBackend) {
    this.#scheduler = new Scheduler({
      database: backend.database,
      clock: testTimersClock,
      executor: harnessExecutor(backend),
      logger: silentLogger,
    });
    this.#started = this.#scheduler.start();
  }

  /**
   * Returns a getter for the instance's scheduler, which is created on the first commit that
   * writes `_scheduled_functions` or on the first call of the getter.
   */
  static lazy(backend: HarnessBackend): () => HarnessScheduler {
    let scheduler: HarnessScheduler | null = null;
    const get = (): HarnessScheduler => {
      scheduler ??= new HarnessScheduler(backend);
      return scheduler;
    };
    const unsubscribe = backend.database.onCommit((commit) => {
      if (
        commit.documents.some((d) => d.tableName === SCHEDULED_FUNCTIONS_TABLE)
      ) {
        unsubscribe();
        get();
      }
    });
    return get;
  }

  /** Waits for the jobs that are running now (and whatever they wait on). */
  async finishInProgress(): Promise<void> {
    await this.#started;
    await this.#scheduler.idle();
  }

  /**
   * Alternates `advanceTimers()` with running what is due until nothing is pending or running.
   *
   * @throws Error after `maxIterations` rounds with work still pending.
   */
  async finishAll(
    advanceTimers: () => void,
    maxIterations: number,
  ): Promise<void> {
    await this.#started;
    for (let i = 0; i < maxIterations; i++) {
      advanceTimers();
      await this.#scheduler.runDue(Date.now());
      await this.#scheduler.idle();
      if ((await this.#scheduler.nextDueMs()) === null) return;
    }
    throw new Error(
      "finishAllScheduledFunctions: too many iterations. Check for infinitely recursive scheduled functions, or increase maxIterations.",
    );
  }
}

function harnessExecutor(backend: HarnessBackend): ScheduledFunctionExecutor {
  let nextRequest = 1;
  return {
    udfType: (udfPath) =>
      backend.app.deployment.lookup(canonicalizeUdfPath(udfPath))?.analyzed
        .udfType ?? null,
    async run(run, beforeCommit) {
      const execution = await backend.executor.execute(backend.app.deployment, {
        udfPath: canonicalizeUdfPath(run.udfPath),
        args: convexToJson(run.args),
        identity: null,
        allowInternal: true,
        requestId: `scheduled-${(nextRequest++).toString(16)}`,
        beforeCommit: run.udfType === "mutation" ? beforeCommit : undefined,
        scheduledJobId: run.jobId,
      });
      return execution.success
        ? { success: true }
        : { success: false, error: execution.errorMessage };
    },
  };
}
