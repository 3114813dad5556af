/**
 * The in-memory log of recent commits: the index keys each commit wrote. The committer checks
 * read sets against it (OCC) and subscriptions use it to learn what changed. It covers every
 * commit after `horizonTs`; older commits are evicted once they fall out of the retention window,
 * and a read set older than the horizon can no longer be validated.
 */
import type { Timestamp } from "../storage/persistence.js";
import type { Document } from "../values/value.js";
import type { IndexKeyWrite, IndexWrites, ReadSetProbe } from "./read-set.js";

/** One document written by a commit. */
export interface CommittedDocument {
  readonly tableName: string;
  readonly tableNumber: number;
  readonly id: string;
  /** The new revision, or null when the commit deleted the document. */
  readonly document: Document | null;
}

/** What one durable commit wrote, as given to `onCommit` listeners. */
export interface CommittedWrite {
  readonly ts: Timestamp;
  readonly indexWrites: IndexWrites;
  readonly documents: readonly CommittedDocument[];
}

/** A read set's first conflicting write, or the fact that it cannot be checked any more. */
export type WriteLogConflict =
  | {
      readonly type: "write";
      readonly ts: Timestamp;
      readonly write: IndexKeyWrite;
    }
  | { readonly type: "outOfRetention" };

export interface WriteLogRetention {
  /** How long (commit-ts distance, in ms) commits stay in the log. */
  readonly maxAgeMs: number;
  /** At most this many commits stay in the log, whatever their age. */
  readonly maxEntries: number;
}

/**
 * Convex keeps 300 s of write log (`WRITE_LOG_MAX_RETENTION_SECS`); a bound on the number of
 * entries keeps memory flat under sustained write load (about 100 bytes per written key).
 */
export const DEFAULT_WRITE_LOG_RETENTION: WriteLogRetention = {
  maxAgeMs: 300_000,
  maxEntries: 100_000,
};

const NS_PER_MS = 1_000_000n;

export class WriteLog {
  readonly #entries: CommittedWrite[] = [];
  /** Index of the first live entry in `#entries` (evicted entries are dropped in chunks). */
  #head = 0;
  #horizonTs: Timestamp;
  readonly #retention: WriteLogRetention;

  /** `horizonTs`: the log holds every commit after it (the latest ts when the log is created). */
  constructor(
    horizonTs: Timestamp,
    retention: WriteLogRetention = DEFAULT_WRITE_LOG_RETENTION,
  ) {
    this.#horizonTs = horizonTs;
    this.#retention = retention;
  }

  /** Every commit after this ts is in the log. */
  get horizonTs(): Timestamp {
    return this.#horizonTs;
  }

  /** Appends a durable commit (ts greater than every earlier one) and evicts old entries. */
  append(commit: CommittedWrite): void {
    this.#entries.push(commit);
    const minTs = commit.ts - BigInt(this.#retention.maxAgeMs) * NS_PER_MS;
    while (
      this.#head < this.#entries.length &&
      (this.#entries.length - this.#head > this.#retention.maxEntries ||
        this.#entries[this.#head]!.ts < minTs)
    ) {
      this.#horizonTs = this.#entries[this.#head]!.ts;
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Commits with `ts > afterTs`, oldest first; throws when `afterTs` is below the horizon. */
  commitsAfter(afterTs: Timestamp): CommittedWrite[] {
    if (afterTs < this.#horizonTs) {
      throw new Error(
        `write log starts after ${this.#horizonTs}, cannot list from ${afterTs}`,
      );
    }
    return this.#entries.slice(this.#firstAfter(afterTs));
  }

  /**
   * The first write of a commit after `readTs` that falls inside the read set `probe`,
   * `outOfRetention` when commits after `readTs` were already evicted, or null when there is no
   * conflict.
   */
  findConflict(
    probe: ReadSetProbe,
    readTs: Timestamp,
  ): WriteLogConflict | null {
    if (readTs < this.#horizonTs) return { type: "outOfRetention" };
    for (let i = this.#firstAfter(readTs); i < this.#entries.length; i++) {
      const commit = this.#entries[i]!;
      const write = probe.findOverlap(commit.indexWrites);
      if (write !== null) return { type: "write", ts: commit.ts, write };
    }
    return null;
  }

  /** Binary search: the position of the first live entry with `ts > afterTs`. */
  #firstAfter(afterTs: Timestamp): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#entries[mid]!.ts <= afterTs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
