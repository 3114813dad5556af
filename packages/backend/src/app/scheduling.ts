/**
 * The server's scheduler (issue 5): scheduled functions and crons run through the function
 * runner. Crons follow the active deployment: they are synced into `_cron_jobs` right after each
 * activation and again at startup, so a crash between the two is repaired on the next start.
 */
import type { Database } from "../engine/database.js";
import { syncCronJobs } from "../model/cron-jobs.js";
import { Scheduler } from "../model/scheduler.js";
import type { AppManifest } from "../runtime/deployment.js";
import type { FunctionRunner } from "../runtime/function-runner.js";
import { runnerScheduledExecutor } from "../runtime/scheduled-function-executor.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";

/** How long shutdown waits for scheduled runs in flight (the runner then stops the rest). */
const STOP_DRAIN_MS = 5_000;
/** How often finished jobs past their retention are deleted. */
const GC_INTERVAL_MS = 60 * 60 * 1000;

export interface SchedulingOptions {
  readonly database: Database;
  readonly runner: FunctionRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Whether other processes share the storage (PostgreSQL): then an action found in progress
   * may be running elsewhere, so startup does not mark it failed.
   */
  readonly shared: boolean;
}

/** A started scheduler and the hooks the deploy path needs. */
export interface Scheduling {
  readonly scheduler: Scheduler;
  /**
   * The runner as the push service sees it: activating a manifest also brings `_cron_jobs` in
   * line with its `crons.js`.
   */
  readonly deployTarget: Pick<FunctionRunner, "manifest" | "activate">;
  stop(): Promise<void>;
}

/** Syncs the crons of the active manifest, then starts running due jobs and crons. */
export async function startScheduling(
  options: SchedulingOptions,
): Promise<Scheduling> {
  const { database, runner, clock, logger } = options;
  const syncCrons = async (manifest: AppManifest | null): Promise<void> => {
    await database.runInTransaction((tx) =>
      syncCronJobs(tx, manifest?.analysis.crons ?? null, clock.now()),
    );
  };
  await syncCrons(runner.manifest);
  const scheduler = new Scheduler({
    database,
    clock,
    executor: runnerScheduledExecutor(runner),
    logger: logger.with({ component: "scheduler" }),
  });
  await scheduler.start({ recoverInProgress: !options.shared });
  const collect = (): void => {
    scheduler.collectGarbage().then(
      (deleted) => {
        if (deleted > 0) logger.info("deleted old scheduled jobs", { deleted });
      },
      (error: unknown) =>
        logger.warn("deleting old scheduled jobs failed", { error }),
    );
  };
  collect();
  const gc = setInterval(collect, GC_INTERVAL_MS);
  gc.unref();
  return {
    scheduler,
    deployTarget: {
      get manifest() {
        return runner.manifest;
      },
      async activate(manifest) {
        await runner.activate(manifest);
        await syncCrons(manifest);
      },
    },
    stop: () => {
      clearInterval(gc);
      return scheduler.stop(STOP_DRAIN_MS);
    },
  };
}
