/**
 * Retention: collects document revisions and index entries that no snapshot inside the retention
 * window can see, through `Persistence.pruneBefore`. Never prunes above the oldest open
 * transaction's snapshot, so readers are never disturbed.
 */
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { Persistence, Timestamp } from "../storage/persistence.js";

/** Global holding the newest commit ts ever made durable (pruning may remove its revision). */
export const HIGH_WATER_GLOBAL = "hull.engine.latestTs";

export interface RetentionOptions {
  /** How long (in commit-ts distance) old revisions stay readable. */
  readonly windowMs: number;
  /** When set, retention runs in the background this often. */
  readonly intervalMs?: number | undefined;
}

/**
 * Convex keeps superseded versions for 4 min (indexes) to 14 days (documents, 2 days in its
 * self-hosted compose); we keep one window for both, 10 minutes by default, far above any
 * transaction's life.
 */
export const DEFAULT_RETENTION: RetentionOptions = { windowMs: 10 * 60_000 };

const NS_PER_MS = 1_000_000n;

export interface RetentionSources {
  readonly persistence: Persistence;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly latestTs: () => Timestamp;
  /** The oldest snapshot any open reader uses, or null when none is open. */
  readonly oldestActiveTs: () => Timestamp | null;
}

export class Retention {
  readonly #sources: RetentionSources;
  readonly #options: RetentionOptions;
  #prunedTs: Timestamp = 0n;
  #running: Promise<unknown> | null = null;
  readonly #abort = new AbortController();

  constructor(sources: RetentionSources, options: RetentionOptions) {
    this.#sources = sources;
    this.#options = options;
  }

  /** Snapshots below this ts may have lost revisions: transactions must not start there. */
  get prunedTs(): Timestamp {
    return this.#prunedTs;
  }

  /** Starts the background loop when an interval is configured. */
  start(): void {
    const { intervalMs } = this.#options;
    if (intervalMs === undefined) return;
    const loop = async (): Promise<void> => {
      while (!this.#abort.signal.aborted) {
        await this.#sources.clock.sleep(intervalMs, this.#abort.signal);
        await this.run();
      }
    };
    loop().catch((e: unknown) => {
      if (!this.#abort.signal.aborted) {
        this.#sources.logger.error("retention loop stopped", {
          error: String(e),
        });
      }
    });
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

  stop(): void {
    this.#abort.abort(new Error("retention stopped"));
  }

  async #prune(): Promise<{ documents: number; indexes: number }> {
    const { persistence, latestTs, oldestActiveTs, logger } = this.#sources;
    const latest = latestTs();
    let cutoff = latest - BigInt(this.#options.windowMs) * NS_PER_MS;
    const oldest = oldestActiveTs();
    if (oldest !== null && oldest < cutoff) cutoff = oldest;
    if (cutoff <= this.#prunedTs) return { documents: 0, indexes: 0 };
    await persistence.writeGlobal(HIGH_WATER_GLOBAL, latest.toString());
    this.#prunedTs = cutoff;
    const deleted = await persistence.pruneBefore(cutoff);
    logger.debug("retention pruned", { cutoff: cutoff.toString(), ...deleted });
    return deleted;
  }
}
