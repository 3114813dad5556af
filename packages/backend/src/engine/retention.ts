/**
 * Retention: collects document revisions and index entries that no snapshot inside the retention
 * window can see, through `Persistence.pruneBefore`. Never prunes above the oldest open
 * transaction's snapshot, so readers are never disturbed.
 */
import type { Logger } from "../shared/logger.js";
import type { Persistence, Timestamp } from "../storage/persistence.js";

/** Global holding the newest commit ts ever made durable (pruning may remove its revision). */
export const HIGH_WATER_GLOBAL = "hull.engine.latestTs";
/** Global holding the snapshot below which revisions may be gone (the last pruning's cutoff). */
export const PRUNED_GLOBAL = "hull.engine.prunedTs";

export interface RetentionOptions {
  /** How long (in commit-ts distance) old revisions stay readable. */
  readonly windowMs: number;
  /**
   * Retention runs in the background after a commit once the commit ts has advanced this much
   * since the last run (commits are what create garbage, so an idle database never runs it).
   * Null: only `Database.runRetention()` runs it.
   */
  readonly intervalMs: number | null;
}

/**
 * Convex keeps superseded versions for 4 min (indexes) to 14 days (documents, 2 days in its
 * self-hosted compose); we keep one window for both, 10 minutes by default, far above any
 * transaction's life, and collect once a minute of commit time.
 */
export const DEFAULT_RETENTION: RetentionOptions = {
  windowMs: 10 * 60_000,
  intervalMs: 60_000,
};

const NS_PER_MS = 1_000_000n;

export interface RetentionSources {
  readonly persistence: Persistence;
  readonly logger: Logger;
  readonly latestTs: () => Timestamp;
  /** The oldest snapshot any open reader uses, or null when none is open. */
  readonly oldestActiveTs: () => Timestamp | null;
}

export class Retention {
  readonly #sources: RetentionSources;
  readonly #options: RetentionOptions;
  #prunedTs: Timestamp;
  #running: Promise<unknown> | null = null;
  #lastRunTs: Timestamp | null = null;
  #stopped = false;

  /** `prunedTs`: the cutoff of the last pruning before this process (from `PRUNED_GLOBAL`). */
  constructor(
    sources: RetentionSources,
    options: RetentionOptions,
    prunedTs: Timestamp,
  ) {
    this.#sources = sources;
    this.#options = options;
    this.#prunedTs = prunedTs;
  }

  /** Snapshots below this ts may have lost revisions: transactions must not start there. */
  get prunedTs(): Timestamp {
    return this.#prunedTs;
  }

  /**
   * Called after commits: starts a background run when the commit ts advanced by the interval
   * since the last one. Failures are logged.
   */
  afterCommit(latestTs: Timestamp): void {
    const { intervalMs } = this.#options;
    if (intervalMs === null || this.#stopped) return;
    if (this.#lastRunTs === null) {
      this.#lastRunTs = latestTs;
      return;
    }
    if (latestTs - this.#lastRunTs < BigInt(intervalMs) * NS_PER_MS) return;
    this.#lastRunTs = latestTs;
    this.run().catch((e: unknown) =>
      this.#sources.logger.error("retention failed", { error: String(e) }),
    );
  }

  /** Prunes once; returns the rows deleted. Concurrent calls share one run. */
  async run(): Promise<{ documents: number; indexes: number }> {
    while (this.#running !== null) await this.#running;
    const run = this.#prune();
    this.#running = run;
    try {
      return await run;
    } finally {
      this.#running = null;
    }
  }

  /** Stops background runs and waits for a running one. */
  async stop(): Promise<void> {
    this.#stopped = true;
    while (this.#running !== null) await this.#running.catch(() => null);
  }

  async #prune(): Promise<{ documents: number; indexes: number }> {
    const { persistence, latestTs, oldestActiveTs, logger } = this.#sources;
    const latest = latestTs();
    let cutoff = latest - BigInt(this.#options.windowMs) * NS_PER_MS;
    const oldest = oldestActiveTs();
    if (oldest !== null && oldest < cutoff) cutoff = oldest;
    if (cutoff <= this.#prunedTs) return { documents: 0, indexes: 0 };
    await persistence.writeGlobal(HIGH_WATER_GLOBAL, latest.toString());
    await persistence.writeGlobal(PRUNED_GLOBAL, cutoff.toString());
    this.#prunedTs = cutoff;
    const deleted = await persistence.pruneBefore(cutoff);
    logger.debug("retention pruned", { cutoff: cutoff.toString(), ...deleted });
    return deleted;
  }
}
