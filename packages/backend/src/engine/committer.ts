/**
 * The committer: the only writer. It validates each transaction's read set against every commit
 * after its snapshot (OCC, through the write log), assigns strictly increasing timestamps and
 * writes commits in groups: every commit that arrives while a storage write is in flight joins
 * the next group, which is checked in arrival order (each member also against the earlier members
 * of its group) and written with one `Persistence.write` call.
 *
 * With a shared log (`Persistence.sharedLog`, several processes on one PostgreSQL) each group is
 * one serialized append: under the log-wide lock the committer first absorbs the commits other
 * processes appended since its latest known ts (into the write log, for OCC, and out through
 * `onDurable`, for the catalog and subscriptions), then checks the group and stamps it above them.
 * `follow()` absorbs foreign commits without writing (the database calls it on notifications and
 * on a timer).
 *
 * States of the group loop: `idle` (nothing queued, nothing writing) → `scheduled` (a group start
 * is queued behind the current macrotask so commits issued together join one group) → `writing`
 * (one storage write in flight; new commits queue) → `idle` or `scheduled` again.
 */
import { toBackendError } from "../errors/backend-error.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type {
  IndexEntry,
  DocumentLogEntry,
  LogTail,
  Persistence,
  PersistenceWrite,
  Timestamp,
} from "../storage/persistence.js";
import type { IndexWrites, ReadSet, ReadSetProbe } from "./read-set.js";
import type {
  CommittedDocument,
  CommittedWrite,
  WriteLog,
} from "./write-log.js";

/**
 * The real `setImmediate`, captured when the engine loads: commits must keep flowing while a test
 * harness user has installed fake timers (vitest's `vi.useFakeTimers()` replaces the global).
 */
const engineSetImmediate: typeof setImmediate =
  globalThis.setImmediate.bind(globalThis);

/** A commit's rows and effects once its timestamp is known. */
export interface PreparedCommit {
  readonly documents: readonly DocumentLogEntry[];
  readonly indexes: readonly IndexEntry[];
  /** Every index key the commit writes (old and new keys), for OCC and subscriptions. */
  readonly indexWrites: IndexWrites;
  readonly committed: readonly CommittedDocument[];
}

/** What a transaction hands the committer. */
export interface CommitRequest {
  readonly readTs: Timestamp;
  readonly readSet: ReadSet;
  /** The commit ts must be at least this (so it exceeds the creation times the commit assigns). */
  readonly minTs: Timestamp;
  /**
   * Builds the commit's rows at `ts` (rows carry `ts`; commit-ts placeholders resolve to it).
   * Called once, synchronously, when the commit passes OCC.
   */
  readonly prepare: (ts: Timestamp) => PreparedCommit;
}

export type CommitResult =
  | { readonly type: "committed"; readonly ts: Timestamp }
  | {
      readonly type: "conflict";
      /** The table whose write conflicted; null when the snapshot is older than the write log. */
      readonly table: string | null;
      /** The conflicting document id, null when unknown. */
      readonly id: string | null;
      readonly writeTs: Timestamp | null;
    };

interface QueuedCommit {
  readonly request: CommitRequest;
  readonly resolve: (result: CommitResult) => void;
  readonly reject: (error: unknown) => void;
}

interface AcceptedCommit {
  readonly queued: QueuedCommit;
  readonly prepared: PreparedCommit;
  readonly write: CommittedWrite;
}

/** Upper bound on one group, so a single storage write stays bounded in size and latency. */
const MAX_GROUP_COMMITS = 512;

const NS_PER_MS = 1_000_000n;

export interface CommitterOptions {
  readonly persistence: Persistence;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly writeLog: WriteLog;
  /** The newest durable commit ts at startup (never lower than any ts ever assigned). */
  readonly latestTs: Timestamp;
  /**
   * Called synchronously after each durable group, in ts order, before any member's promise
   * resolves: the database publishes the new snapshot from here.
   */
  readonly onDurable: (commits: readonly CommittedWrite[]) => void;
  /** With a shared log: turns foreign rows into commits (see `log-tail.ts`). */
  readonly decodeTail: (tail: LogTail) => CommittedWrite[];
}

/** Statistics for tests and benchmarks. */
export interface CommitterStats {
  /** Storage writes issued. */
  readonly groups: number;
  /** Commits written (sum of group sizes). */
  readonly commits: number;
  /** Largest group written. */
  readonly largestGroup: number;
}

export class Committer {
  readonly #options: CommitterOptions;
  readonly #queue: QueuedCommit[] = [];
  #state: "idle" | "scheduled" | "writing" = "idle";
  #latestTs: Timestamp;
  #lastAssignedTs: Timestamp;
  #groups = 0;
  #commits = 0;
  #largestGroup = 0;
  /** Callers of `follow()` waiting for the next catch-up. */
  #followers: (() => void)[] = [];
  /**
   * Groups whose storage write is applied but not yet durable (its fsync is in flight), oldest
   * first. The next group is validated against them too, so it can be written while they sync.
   */
  readonly #pending: (readonly AcceptedCommit[])[] = [];
  /** Settles once the newest pending group has been acknowledged or failed. */
  #acknowledged: Promise<void> = Promise.resolve();

  constructor(options: CommitterOptions) {
    this.#options = options;
    this.#latestTs = options.latestTs;
    this.#lastAssignedTs = options.latestTs;
  }

  /** The newest durable commit. */
  get latestTs(): Timestamp {
    return this.#latestTs;
  }

  stats(): CommitterStats {
    return {
      groups: this.#groups,
      commits: this.#commits,
      largestGroup: this.#largestGroup,
    };
  }

  /**
   * Queues a commit. Resolves `committed` once it is durable, `conflict` when its read set
   * overlaps a later write; rejects when the storage write of its group fails (none of the
   * group is then visible).
   */
  commit(request: CommitRequest): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every queued commit has been written or refused. */
  async drain(): Promise<void> {
    while (
      this.#state !== "idle" ||
      this.#queue.length > 0 ||
      this.#pending.length > 0
    ) {
      await this.#acknowledged;
      await new Promise((resolve) => engineSetImmediate(resolve));
    }
  }

  /**
   * With a shared log: absorbs the commits other processes appended (resolves once caught up, or
   * once the attempt failed, which is logged). Without one it resolves at once.
   */
  follow(): Promise<void> {
    if (this.#options.persistence.sharedLog === undefined)
      return Promise.resolve();
    return new Promise((resolve) => {
      this.#followers.push(resolve);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (
      this.#state !== "idle" ||
      (this.#queue.length === 0 && this.#followers.length === 0)
    )
      return;
    this.#state = "scheduled";
    // Yield one macrotask so commits issued in the same turn (and their continuations) join.
    engineSetImmediate(() => void this.#runGroup());
  }

  async #runGroup(): Promise<void> {
    this.#state = "writing";
    const batch = this.#queue.splice(0, MAX_GROUP_COMMITS);
    const followers = this.#followers.splice(0);
    try {
      if (this.#options.persistence.sharedLog !== undefined) {
        if (batch.length > 0) await this.#appendShared(batch);
        else await this.#catchUp();
      } else {
        const accepted = this.#validate(batch);
        if (accepted.length > 0) await this.#write(accepted);
      }
    } finally {
      for (const resolve of followers) resolve();
      this.#state = "idle";
      this.#schedule();
    }
  }

  /** Reads and absorbs the shared log's tail, without the lock. */
  async #catchUp(): Promise<void> {
    try {
      const tail = await this.#options.persistence.sharedLog!.readTail(
        this.#latestTs,
      );
      this.#absorb(tail);
    } catch (e) {
      this.#options.logger.warn("following the shared log failed", {
        error: toBackendError(e).message,
      });
    }
  }

  /** Publishes foreign commits: write log, latest ts, then `onDurable`. */
  #absorb(tail: LogTail): void {
    if (tail.documents.length === 0 && tail.indexes.length === 0) return;
    const writes = this.#options.decodeTail(tail);
    const last = writes[writes.length - 1];
    if (last === undefined) return;
    for (const write of writes) this.#options.writeLog.append(write);
    this.#latestTs = last.ts;
    if (this.#lastAssignedTs < last.ts) this.#lastAssignedTs = last.ts;
    this.#options.onDurable(writes);
  }

  /** One serialized append of `batch` to the shared log (see the file comment). */
  async #appendShared(batch: readonly QueuedCommit[]): Promise<void> {
    let accepted: AcceptedCommit[] | null = null;
    try {
      await this.#options.persistence.sharedLog!.append(
        this.#latestTs,
        (tail) => {
          this.#absorb(tail);
          accepted = this.#validate(batch);
          return rowsOf(accepted);
        },
      );
    } catch (e) {
      const error = toBackendError(e);
      this.#options.logger.error("commit group failed", {
        commits: batch.length,
        error: error.message,
      });
      const pending: readonly QueuedCommit[] =
        accepted === null
          ? batch
          : (accepted as AcceptedCommit[]).map((a) => a.queued);
      for (const queued of pending) queued.reject(error);
      return;
    }
    if (accepted !== null && (accepted as AcceptedCommit[]).length > 0)
      this.#durable(accepted);
  }

  /** OCC-checks the batch in order; resolves conflicts now and stamps the accepted commits. */
  #validate(batch: readonly QueuedCommit[]): AcceptedCommit[] {
    const accepted: AcceptedCommit[] = [];
    for (const queued of batch) {
      const conflict = this.#findConflict(queued.request, accepted);
      if (conflict !== null) {
        queued.resolve(conflict);
        continue;
      }
      const ts = this.#nextTs(queued.request.minTs);
      let prepared: PreparedCommit;
      try {
        prepared = queued.request.prepare(ts);
      } catch (e) {
        queued.reject(e);
        continue;
      }
      const { indexWrites, committed } = prepared;
      accepted.push({
        queued,
        prepared,
        write: { ts, indexWrites, documents: committed },
      });
    }
    return accepted;
  }

  #findConflict(
    request: CommitRequest,
    accepted: readonly AcceptedCommit[],
  ): CommitResult | null {
    const probe = request.readSet.probe();
    const logged = this.#options.writeLog.findConflict(probe, request.readTs);
    if (logged?.type === "outOfRetention") {
      return { type: "conflict", table: null, id: null, writeTs: null };
    }
    if (logged?.type === "write") {
      const { tableName, id } = logged.write;
      return { type: "conflict", table: tableName, id, writeTs: logged.ts };
    }
    for (const group of this.#pending) {
      const conflict = conflictWith(probe, group);
      if (conflict !== null) return conflict;
    }
    return conflictWith(probe, accepted);
  }

  /** `max(last + 1, now, minTs)` in ns: strictly increasing even when the clock steps back. */
  #nextTs(minTs: Timestamp): Timestamp {
    const nowNs = BigInt(Math.floor(this.#options.clock.now())) * NS_PER_MS;
    let next = this.#lastAssignedTs + 1n;
    if (nowNs > next) next = nowNs;
    if (minTs > next) next = minTs;
    this.#lastAssignedTs = next;
    return next;
  }

  /**
   * Writes a group and returns once the next group may be written: drivers without a shared log
   * apply a write when it is called and make it durable later (SQLite's WAL sync runs on the thread
   * pool), so the next group is written while this one syncs. Groups are acknowledged in order,
   * each only once durable; at most two are in flight.
   */
  async #write(accepted: readonly AcceptedCommit[]): Promise<void> {
    const previous = this.#acknowledged;
    const written = this.#options.persistence.write(rowsOf(accepted), "Error");
    this.#pending.push(accepted);
    const acknowledged = written.then(
      () => previous.then(() => this.#settle(accepted, { ok: true })),
      (error: unknown) =>
        previous.then(() => this.#settle(accepted, { ok: false, error })),
    );
    this.#acknowledged = acknowledged;
    await previous;
  }

  #settle(
    accepted: readonly AcceptedCommit[],
    outcome: { ok: true } | { ok: false; error: unknown },
  ): void {
    this.#pending.shift();
    if (outcome.ok) {
      this.#durable(accepted);
      return;
    }
    const error = toBackendError(outcome.error);
    this.#options.logger.error("commit group failed", {
      commits: accepted.length,
      error: error.message,
    });
    for (const { queued } of accepted) queued.reject(error);
  }

  /** Bookkeeping after a durable group: write log, latest ts, `onDurable`, then the callers. */
  #durable(accepted: readonly AcceptedCommit[]): void {
    this.#groups += 1;
    this.#commits += accepted.length;
    this.#largestGroup = Math.max(this.#largestGroup, accepted.length);
    const writes = accepted.map((a) => a.write);
    for (const write of writes) this.#options.writeLog.append(write);
    this.#latestTs = writes[writes.length - 1]!.ts;
    this.#options.onDurable(writes);
    for (const { queued, write } of accepted)
      queued.resolve({ type: "committed", ts: write.ts });
  }
}

/** The conflict with the first of `commits` that wrote into the read set `probe`, if any. */
function conflictWith(
  probe: ReadSetProbe,
  commits: readonly AcceptedCommit[],
): CommitResult | null {
  for (const { write } of commits) {
    const overlap = probe.findOverlap(write.indexWrites);
    if (overlap !== null) {
      return {
        type: "conflict",
        table: overlap.tableName,
        id: overlap.id,
        writeTs: write.ts,
      };
    }
  }
  return null;
}

/** The rows of a group, in one write. */
function rowsOf(accepted: readonly AcceptedCommit[]): PersistenceWrite {
  const documents: DocumentLogEntry[] = [];
  const indexes: IndexEntry[] = [];
  for (const { prepared } of accepted) {
    for (const row of prepared.documents) documents.push(row);
    for (const row of prepared.indexes) indexes.push(row);
  }
  return { documents, indexes };
}
