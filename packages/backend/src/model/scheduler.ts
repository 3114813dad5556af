/**
 * Runs scheduled jobs and cron jobs when they are due. It keeps an in-memory view of what is due
 * (pending `_scheduled_functions` jobs and `_cron_jobs`), loaded once and kept current by the
 * engine's commit listener, and wakes at the earliest due time. How a function runs is the
 * caller's (`ScheduledFunctionExecutor`): the server goes through the `FunctionRunner`, the
 * `convexTest` harness runs in process.
 *
 * Guarantees (Convex's):
 * - a scheduled mutation runs exactly once: its job is marked done in the mutation's own
 *   transaction (`beforeCommit`); a failed run rolls back and the job is marked failed;
 * - a scheduled action runs at most once: `inProgress` is committed before it starts, and an
 *   action found in progress at startup is marked failed, never re-run;
 * - a cron slot runs once: a mutation cron advances `nextTs` in its own transaction, an action
 *   cron before it starts; a slot missed while the server was down runs once when it is back.
 */
import type { Database } from "../engine/database.js";
import type { Transaction } from "../engine/transaction.js";
import type { CommittedWrite } from "../engine/write-log.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { Document, ObjectValue } from "../values/value.js";
import {
  CRON_JOBS_TABLE,
  decodeCronJob,
  getCronJob,
  listCronJobs,
  timetableOf,
  updateCronRun,
  type CronJob,
} from "./cron-jobs.js";
import { cronSlotsMissed } from "./cron-schedule.js";
import {
  JobNotPending,
  SCHEDULED_FUNCTIONS_TABLE,
  decodeScheduledJob,
  deleteJobs,
  finishedJobsBefore,
  getScheduledJob,
  listScheduledJobs,
  transitionJob,
  type ScheduledJobState,
} from "./scheduled-jobs.js";

/** One run of a scheduled job or a cron job, as handed to the executor. */
export interface ScheduledRun {
  /** The function, as stored (canonical for jobs, `crons.ts`'s spelling for crons). */
  readonly udfPath: string;
  readonly args: ObjectValue;
  readonly udfType: "mutation" | "action";
  /** The `_scheduled_functions` id; null for a cron run. */
  readonly jobId: string | null;
  /** The cron identifier; null for a scheduled job. */
  readonly cronName: string | null;
}

export type ScheduledRunResult =
  | { readonly success: true }
  | { readonly success: false; readonly error: string };

/** How the scheduler runs functions (see the module comment and `model/README.md`). */
export interface ScheduledFunctionExecutor {
  /** The kind of the function at `udfPath` in the active code, or null when there is none. */
  udfType(udfPath: string): "query" | "mutation" | "action" | null;
  /**
   * Runs `run` with no identity and internal access. A mutation calls `await beforeCommit(tx)`
   * in its transaction after the function succeeded, before committing; when that throws
   * (`JobNotPending`), the transaction is abandoned and the error rethrown. An action ignores
   * `beforeCommit`. User failures resolve as `{ success: false }`.
   */
  run(
    run: ScheduledRun,
    beforeCommit: (tx: Transaction) => Promise<void>,
  ): Promise<ScheduledRunResult>;
}

export interface SchedulerOptions {
  readonly database: Database;
  readonly clock: Clock;
  readonly executor: ScheduledFunctionExecutor;
  readonly logger: Logger;
  /** Runs at once, at most (Convex: 8). */
  readonly concurrency?: number;
}

/** The message of an action found in progress at startup (it may or may not have run). */
export const ACTION_INTERRUPTED_ERROR =
  "Transient error while executing action: the server restarted while the scheduled action was running.";

const DEFAULT_CONCURRENCY = 8;
/** Convex keeps finished jobs for 7 days. */
export const FINISHED_JOB_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const GC_BATCH = 1000;
/** System scans read whole tables: the user-facing read limits do not apply. */
const SYSTEM_SCAN_LIMITS = {
  maxDocumentsRead: Number.POSITIVE_INFINITY,
  maxBytesRead: Number.POSITIVE_INFINITY,
};
const RETRY_INITIAL_MS = 500;
const RETRY_MAX_MS = 2 * 60 * 60 * 1000;
/** Timers are re-armed at least this often (setTimeout cannot wait for weeks). */
const MAX_SLEEP_MS = 60 * 60 * 1000;

interface DueEntry {
  readonly kind: "job" | "cron";
  readonly dueMs: number;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #concurrency: number;
  /** What is due, by document id; only pending jobs and pending crons. */
  readonly #due = new Map<string, DueEntry>();
  /** Ids written by commits during the first scan (newer than what it reads); null after it. */
  #seen: Set<string> | null = new Set<string>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #retries = new Map<string, { attempts: number; atMs: number }>();
  readonly #waiters: (() => void)[] = [];
  readonly #unsubscribe: () => void;
  #loaded: Promise<void> | undefined;
  #active = 0;
  #timer: AbortController | undefined;
  /** When the current timer fires; null when none is armed. */
  #armedAt: number | null = null;
  #started = false;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#unsubscribe = options.database.onCommit((commit) =>
      this.#onCommit(commit),
    );
  }

  /**
   * Recovers from a restart (actions left in progress are marked failed, action crons left in
   * progress are released), then runs due work and keeps waking at the next due time.
   * `recoverInProgress: false` skips the recovery, for storage shared with other processes
   * whose runs may still be going.
   */
  async start(options: { recoverInProgress?: boolean } = {}): Promise<void> {
    await this.#load();
    if (options.recoverInProgress !== false) await this.#recover();
    this.#started = true;
    this.#arm();
  }

  /**
   * Runs every job and cron due at `nowMs` (default: now), at most `concurrency` at once, and
   * resolves when they have finished. Work already running is waited for, not started again.
   * @returns how many runs were started or joined.
   */
  async runDue(nowMs = this.#options.clock.now()): Promise<number> {
    await this.#load();
    const runs = this.#dueAt(nowMs).map(([id, entry]) =>
      this.#launch(id, entry, nowMs),
    );
    await Promise.all(runs);
    return runs.length;
  }

  /** Resolves when nothing started by this scheduler is running any more. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.all(this.#running.values());
    }
  }

  /** The earliest time something is due (pending jobs and crons), or null when nothing is. */
  async nextDueMs(): Promise<number | null> {
    await this.#load();
    let next: number | null = null;
    for (const [id, entry] of this.#due) {
      const at = Math.max(entry.dueMs, this.#retries.get(id)?.atMs ?? 0);
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /**
   * Deletes finished jobs completed more than `retentionMs` before `nowMs`, in transactions of
   * at most 1000 deletions. Returns how many were deleted.
   */
  async collectGarbage(
    nowMs = this.#options.clock.now(),
    retentionMs = FINISHED_JOB_RETENTION_MS,
  ): Promise<number> {
    const { database } = this.#options;
    const tx = database.begin({ limits: SYSTEM_SCAN_LIMITS });
    const ids = await finishedJobsBefore(tx, nowMs - retentionMs).finally(() =>
      tx.close(),
    );
    for (let i = 0; i < ids.length; i += GC_BATCH) {
      const batch = ids.slice(i, i + GC_BATCH);
      await database.runInTransaction((t) => deleteJobs(t, batch));
    }
    return ids.length;
  }

  /** Stops waking up and waits for the runs in flight, at most `drainMs` (default: no limit). */
  async stop(drainMs?: number): Promise<void> {
    this.#stopped = true;
    this.#timer?.abort();
    this.#unsubscribe();
    if (drainMs === undefined) return this.idle();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise((resolve) => (timer = setTimeout(resolve, drainMs))),
    ]).finally(() => clearTimeout(timer));
  }

  #onCommit(commit: CommittedWrite): void {
    let earliest: number | null = null;
    for (const written of commit.documents) {
      if (
        written.tableName !== SCHEDULED_FUNCTIONS_TABLE &&
        written.tableName !== CRON_JOBS_TABLE
      ) {
        continue;
      }
      this.#seen?.add(written.id);
      const entry = this.#track(
        written.tableName,
        written.id,
        written.document,
      );
      if (entry !== null && (earliest === null || entry.dueMs < earliest)) {
        earliest = entry.dueMs;
      }
    }
    if (earliest !== null) this.#armEarlier(earliest);
  }

  /** Updates the due view from one document revision (null: deleted); returns the entry. */
  #track(table: string, id: string, doc: Document | null): DueEntry | null {
    const entry = doc === null ? null : dueEntry(table, doc);
    if (entry === null) {
      this.#due.delete(id);
      this.#retries.delete(id);
    } else {
      this.#due.set(id, entry);
    }
    return entry;
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      const tx = this.#options.database.begin({ limits: SYSTEM_SCAN_LIMITS });
      try {
        for (const job of await listScheduledJobs(tx, ["pending"])) {
          if (this.#seen?.has(job.id) === true) continue;
          this.#due.set(job.id, { kind: "job", dueMs: job.scheduledTime });
        }
        for (const cron of await listCronJobs(tx)) {
          if (this.#seen?.has(cron.id) === true || cron.state !== "pending") {
            continue;
          }
          this.#due.set(cron.id, { kind: "cron", dueMs: cron.nextTs });
        }
      } finally {
        tx.close();
      }
      // From now on the commit listener alone keeps the view current.
      this.#seen = null;
    })();
    return this.#loaded;
  }

  async #recover(): Promise<void> {
    const { database, clock, logger } = this.#options;
    await database.runInTransaction(
      async (tx) => {
        for (const job of await listScheduledJobs(tx, ["inProgress"])) {
          logger.warn("scheduled action interrupted by a restart", {
            jobId: job.id,
            udfPath: job.name,
          });
          await transitionJob(
            tx,
            job.id,
            ["inProgress"],
            { kind: "failed", error: ACTION_INTERRUPTED_ERROR },
            clock.now(),
          );
        }
        for (const cron of await listCronJobs(tx)) {
          if (cron.state === "inProgress") {
            await updateCronRun(tx, cron.id, { state: "pending" });
          }
        }
      },
      { limits: SYSTEM_SCAN_LIMITS },
    );
  }

  #dueAt(nowMs: number): [string, DueEntry][] {
    return [...this.#due]
      .filter(
        ([id, entry]) =>
          entry.dueMs <= nowMs && (this.#retries.get(id)?.atMs ?? 0) <= nowMs,
      )
      .sort((a, b) => a[1].dueMs - b[1].dueMs);
  }

  /** The earliest time something not already running is due, or null. */
  #nextWake(): number | null {
    let next: number | null = null;
    for (const [id, entry] of this.#due) {
      if (this.#running.has(id)) continue;
      const at = Math.max(entry.dueMs, this.#retries.get(id)?.atMs ?? 0);
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Re-arms only when `atMs` is earlier than the armed wake-up (cheap on every commit). */
  #armEarlier(atMs: number): void {
    if (!this.#started || (this.#armedAt !== null && this.#armedAt <= atMs)) {
      return;
    }
    this.#arm();
  }

  /** Wakes at the earliest due time, launches what is due, and arms again. */
  #arm(): void {
    this.#timer?.abort();
    this.#armedAt = null;
    const next = this.#nextWake();
    if (this.#stopped || next === null) return;
    const timer = new AbortController();
    this.#timer = timer;
    this.#armedAt = next;
    const delay = Math.min(
      Math.max(0, next - this.#options.clock.now()),
      MAX_SLEEP_MS,
    );
    this.#options.clock.sleep(delay, timer.signal).then(
      () => {
        if (this.#stopped || timer.signal.aborted) return;
        const now = this.#options.clock.now();
        for (const [id, entry] of this.#dueAt(now)) {
          void this.#launch(id, entry, now);
        }
        this.#arm();
      },
      () => {},
    );
  }

  #launch(id: string, entry: DueEntry, nowMs: number): Promise<void> {
    const running = this.#running.get(id);
    if (running !== undefined) return running;
    const run = this.#withSlot(() =>
      entry.kind === "job" ? this.#runJob(id) : this.#runCron(id, nowMs),
    )
      .catch((error: unknown) => this.#retryLater(id, error))
      .finally(() => {
        this.#running.delete(id);
        // Still due (a retry, or a run that found nothing to do): wake for it again.
        const entry = this.#due.get(id);
        if (entry !== undefined) {
          this.#armEarlier(
            Math.max(entry.dueMs, this.#retries.get(id)?.atMs ?? 0),
          );
        }
      });
    this.#running.set(id, run);
    return run;
  }

  async #withSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#active >= this.#concurrency) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#waiters.shift()?.();
    }
  }

  /** A system failure (not the function's): keep the work due and retry with backoff. */
  #retryLater(id: string, error: unknown): void {
    const attempts = (this.#retries.get(id)?.attempts ?? 0) + 1;
    const delay = Math.min(
      RETRY_INITIAL_MS * 2 ** (attempts - 1),
      RETRY_MAX_MS,
    );
    this.#retries.set(id, {
      attempts,
      atMs: this.#options.clock.now() + delay,
    });
    this.#options.logger.error("scheduled run failed; will retry", {
      id,
      attempts,
      delayMs: delay,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  async #runJob(id: string): Promise<void> {
    const { database, executor } = this.#options;
    const tx = database.begin();
    const job = await getScheduledJob(tx, id).finally(() => tx.close());
    if (job === null || job.state.kind !== "pending") return;
    const run = {
      udfPath: job.name,
      args: job.args,
      jobId: id,
      cronName: null,
    };
    if (executor.udfType(job.name) === "action") {
      await this.#runActionJob({ ...run, udfType: "action" });
    } else {
      await this.#runOnce({ ...run, udfType: "mutation" }, (tx) =>
        transitionJob(tx, id, ["pending"], { kind: "success" }, this.#now()),
      ).then(async (result) => {
        if (result.success) return;
        await this.#ignoreNotPending(
          database.runInTransaction((tx) =>
            transitionJob(
              tx,
              id,
              ["pending"],
              { kind: "failed", error: result.error },
              this.#now(),
            ),
          ),
        );
      });
    }
    this.#retries.delete(id);
  }

  async #runActionJob(run: ScheduledRun & { jobId: string }): Promise<void> {
    const { database, executor } = this.#options;
    const id = run.jobId;
    const claimed = await this.#ignoreNotPending(
      database.runInTransaction((tx) =>
        transitionJob(tx, id, ["pending"], { kind: "inProgress" }, this.#now()),
      ),
    );
    if (!claimed) return;
    const result = await executor
      .run(run, () => Promise.resolve())
      .catch((error: unknown): ScheduledRunResult => ({
        success: false,
        error: error instanceof Error ? error.message : String(error),
      }));
    const state: ScheduledJobState = result.success
      ? { kind: "success" }
      : { kind: "failed", error: result.error };
    // A job canceled while it ran stays canceled.
    await this.#ignoreNotPending(
      database.runInTransaction((tx) =>
        transitionJob(tx, id, ["inProgress"], state, this.#now()),
      ),
    );
  }

  /** Runs the cron's current slot if it is due at `now` (the time the run was decided on). */
  async #runCron(id: string, now: number): Promise<void> {
    const { database, executor, logger } = this.#options;
    const tx = database.begin();
    const cron = await getCronJob(tx, id).finally(() => tx.close());
    if (cron === null || cron.state !== "pending" || cron.nextTs > now) return;
    const catchUp = cronSlotsMissed(timetableOf(cron), cron.nextTs, now);
    if (catchUp.skippedSlots > 0) {
      logger.warn(
        `Skipping ${catchUp.skippedSlots} run(s) of job ${cron.name} because multiple scheduled runs are in the past`,
      );
    }
    const advance = (tx: Transaction, state: CronJob["state"]) =>
      advanceCron(tx, cron, catchUp.nextSlotMs, state);
    const run = {
      udfPath: cron.udfPath,
      args: cron.args,
      jobId: null,
      cronName: cron.name,
    };
    if (executor.udfType(cron.udfPath) === "action") {
      const claimed = await this.#ignoreNotPending(
        database.runInTransaction((tx) => advance(tx, "inProgress")),
      );
      if (!claimed) return;
      await executor
        .run({ ...run, udfType: "action" }, () => Promise.resolve())
        .catch((error: unknown) =>
          logger.error("cron action failed", { cron: cron.name, error }),
        );
      await database.runInTransaction(async (tx) => {
        if ((await getCronJob(tx, id)) !== null) {
          await updateCronRun(tx, id, { state: "pending" });
        }
      });
    } else {
      const result = await this.#runOnce(
        { ...run, udfType: "mutation" },
        (tx) => advance(tx, "pending"),
      );
      if (!result.success) {
        await this.#ignoreNotPending(
          database.runInTransaction((tx) => advance(tx, "pending")),
        );
      }
    }
    this.#retries.delete(id);
  }

  /** Runs a mutation whose bookkeeping is `mark`; a `JobNotPending` means someone else did it. */
  async #runOnce(
    run: ScheduledRun,
    mark: (tx: Transaction) => Promise<void>,
  ): Promise<ScheduledRunResult> {
    let marked = false;
    try {
      const result = await this.#options.executor.run(run, async (tx) => {
        await mark(tx);
        marked = true;
      });
      if (result.success && !marked) {
        // Not a mutation after all (e.g. a query): record it in a transaction of its own.
        await this.#ignoreNotPending(
          this.#options.database.runInTransaction(mark),
        );
      }
      return result;
    } catch (error) {
      if (error instanceof JobNotPending) return { success: true };
      throw error;
    }
  }

  /** Awaits `pending`; true when it went through, false when the job was no longer pending. */
  async #ignoreNotPending(pending: Promise<unknown>): Promise<boolean> {
    try {
      await pending;
      return true;
    } catch (error) {
      if (error instanceof JobNotPending) return false;
      throw error;
    }
  }

  #now(): number {
    return this.#options.clock.now();
  }
}

/** Moves a cron past the slot it had when the run started; `JobNotPending` when it moved on. */
async function advanceCron(
  tx: Transaction,
  expected: CronJob,
  nextTs: number,
  state: CronJob["state"],
): Promise<void> {
  const current = await getCronJob(tx, expected.id);
  if (
    current === null ||
    current.state !== "pending" ||
    current.nextTs !== expected.nextTs
  ) {
    throw new JobNotPending(`Cron job ${expected.name} already ran this slot`);
  }
  await updateCronRun(tx, expected.id, {
    prevTs: expected.nextTs,
    nextTs,
    state,
  });
}

function dueEntry(table: string, doc: Document): DueEntry | null {
  if (table === SCHEDULED_FUNCTIONS_TABLE) {
    const job = decodeScheduledJob(doc);
    return job.state.kind === "pending"
      ? { kind: "job", dueMs: job.scheduledTime }
      : null;
  }
  const cron = decodeCronJob(doc);
  return cron.state === "pending" ? { kind: "cron", dueMs: cron.nextTs } : null;
}
