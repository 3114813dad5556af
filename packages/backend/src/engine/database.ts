/**
 * The database: Convex's semantics over one `Persistence`. It owns the committer, the write log,
 * the published catalog versions, retention and schema changes, and hands out transactions.
 */
import { randomBytes as cryptoRandomBytes, randomFillSync } from "node:crypto";
import { BackendError } from "../errors/backend-error.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { silentLogger, type Logger } from "../shared/logger.js";
import type {
  Persistence,
  PersistenceReader,
  Timestamp,
} from "../storage/persistence.js";
import {
  BY_ID,
  Catalog,
  INDEX_TABLE_NUMBER,
  TABLES_TABLE_NUMBER,
} from "./catalog.js";
import {
  Committer,
  type CommitResult,
  type CommitterStats,
} from "./committer.js";
import { DocumentCache } from "./document-codec.js";
import { tailToCommits } from "./log-tail.js";
import {
  DEFAULT_TRANSACTION_LIMITS,
  type TransactionLimits,
} from "./limits.js";
import {
  DEFAULT_OCC_RETRY,
  occBackoffMs,
  occError,
  type OccRetryOptions,
} from "./occ.js";
import { createCursorCodec, type CursorCodec } from "./query/cursor.js";
import {
  DEFAULT_RETENTION,
  HIGH_WATER_GLOBAL,
  PRUNED_GLOBAL,
  Retention,
  type RetentionOptions,
} from "./retention.js";
import { SchemaManager } from "./schema.js";
import { TableProjections } from "./table-projections.js";
import { Transaction } from "./transaction.js";
import {
  DEFAULT_WRITE_LOG_RETENTION,
  WriteLog,
  type CommittedWrite,
  type WriteLogRetention,
} from "./write-log.js";

export interface DatabaseOptions {
  readonly persistence: Persistence;
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  /** Source of random bytes for document ids (crypto by default). */
  readonly randomBytes?: ((n: number) => Uint8Array) | undefined;
  /** Source of jitter for OCC backoff, in [0, 1) (Math.random by default). */
  readonly random?: (() => number) | undefined;
  readonly limits?: Partial<TransactionLimits> | undefined;
  readonly occRetry?: Partial<OccRetryOptions> | undefined;
  readonly writeLog?: Partial<WriteLogRetention> | undefined;
  readonly retention?: Partial<RetentionOptions> | undefined;
  /**
   * Secret (≥ 16 bytes) that seals pagination cursors. By default one is generated on first open
   * and kept in the persistence's globals, so cursors survive restarts.
   */
  readonly cursorSecret?: Uint8Array | undefined;
  /**
   * With a shared log (several processes on one PostgreSQL): how often to look for other
   * processes' commits besides notifications (default 500 ms).
   */
  readonly sharedLogPollMs?: number | undefined;
}

/** Notifications usually arrive first; the poll bounds the delay when one is lost. */
const DEFAULT_SHARED_LOG_POLL_MS = 500;

/** Global holding the generated cursor secret (hex). */
const CURSOR_SECRET_GLOBAL = "hull.engine.cursorSecret";
const CURSOR_SECRET_BYTES = 32;

export interface BeginOptions {
  /** Snapshot to read at; the latest durable commit by default. */
  readonly readTs?: Timestamp | undefined;
  /** Limits for this transaction; may only lower the database's limits. */
  readonly limits?: Partial<TransactionLimits> | undefined;
}

export type CommitListener = (commit: CommittedWrite) => void;

/** What `open` recovers from storage. */
interface RecoveredState {
  readonly latestTs: Timestamp;
  readonly prunedTs: Timestamp;
  readonly catalog: Catalog;
  readonly cursorSecret: Uint8Array;
}

const NO_TS = -1n;

export class Database {
  readonly #persistence: Persistence;
  readonly #reader: PersistenceReader;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #randomBytes: (n: number) => Uint8Array;
  readonly #random: () => number;
  readonly #limits: TransactionLimits;
  readonly #occRetry: OccRetryOptions;
  readonly #cache = new DocumentCache();
  readonly #projections: TableProjections;
  readonly #writeLog: WriteLog;
  readonly #committer: Committer;
  readonly #retention: Retention;
  readonly #retentionWindowMs: number;
  readonly #listeners = new Set<CommitListener>();
  readonly #cursorCodec: CursorCodec;
  /** Published catalog versions, oldest first; each is valid from its ts on. */
  #catalogs: { ts: Timestamp; catalog: Catalog }[];
  /** Open readers' snapshots (ts → count), for retention. */
  readonly #activeReads = new Map<Timestamp, number>();
  #closed = false;
  readonly #stopFollowing: () => void;
  /** Schema changes: prepare, apply, backfill progress. */
  readonly schema: SchemaManager;

  private constructor(options: DatabaseOptions, recovered: RecoveredState) {
    const { latestTs, catalog } = recovered;
    this.#cursorCodec = createCursorCodec(recovered.cursorSecret);
    this.#persistence = options.persistence;
    this.#reader = options.persistence.reader();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#projections = new TableProjections({
      reader: this.#reader,
      latestTs: () => this.latestTs,
      nowMs: () => this.#clock.now(),
      logger: this.#logger,
    });
    this.#randomBytes = options.randomBytes ?? pooledRandomBytes();
    this.#random = options.random ?? Math.random;
    this.#limits = { ...DEFAULT_TRANSACTION_LIMITS, ...options.limits };
    this.#occRetry = { ...DEFAULT_OCC_RETRY, ...options.occRetry };
    this.#catalogs = [{ ts: latestTs, catalog }];
    this.#writeLog = new WriteLog(latestTs, {
      ...DEFAULT_WRITE_LOG_RETENTION,
      ...options.writeLog,
    });
    this.#committer = new Committer({
      persistence: this.#persistence,
      clock: this.#clock,
      logger: this.#logger,
      writeLog: this.#writeLog,
      latestTs,
      onDurable: (commits) => this.#publish(commits),
      decodeTail: (tail) => tailToCommits(tail, this.catalog, this.#cache),
    });
    this.#stopFollowing = this.#followSharedLog(
      options.sharedLogPollMs ?? DEFAULT_SHARED_LOG_POLL_MS,
    );
    const retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.#retentionWindowMs = retention.windowMs;
    this.#retention = new Retention(
      {
        persistence: this.#persistence,
        logger: this.#logger,
        latestTs: () => this.latestTs,
        oldestActiveTs: () => this.#oldestActiveTs(),
      },
      retention,
      recovered.prunedTs,
    );
    this.schema = new SchemaManager({
      database: this,
      persistence: this.#persistence,
      logger: this.#logger,
      holdSnapshot: (ts) => this.#holdSnapshot(ts),
    });
  }

  /**
   * Opens a database over `persistence`: recovers the newest commit ts (never lower than any ts
   * acknowledged before, even after pruning), loads the catalog and resumes index backfills.
   */
  static async open(options: DatabaseOptions): Promise<Database> {
    const reader = options.persistence.reader();
    const maxTs = (await reader.maxTs()) ?? 0n;
    const highWater = await reader.getGlobal(HIGH_WATER_GLOBAL);
    const stored = typeof highWater === "string" ? BigInt(highWater) : 0n;
    const pruned = await reader.getGlobal(PRUNED_GLOBAL);
    const prunedTs = typeof pruned === "string" ? BigInt(pruned) : 0n;
    const latestTs = maxTs > stored ? maxTs : stored;
    const catalog = await loadCatalog(reader, latestTs);
    const cursorSecret =
      options.cursorSecret ?? (await loadCursorSecret(options.persistence));
    const database = new Database(options, {
      latestTs,
      prunedTs,
      catalog,
      cursorSecret,
    });
    database.schema.resumeBackfills();
    return database;
  }

  /** The newest committed and durable snapshot. */
  get latestTs(): Timestamp {
    return this.#committer.latestTs;
  }

  /** The catalog as of the latest snapshot. */
  get catalog(): Catalog {
    return this.#catalogs[this.#catalogs.length - 1]!.catalog;
  }

  /** Starts a transaction at `readTs` (the latest snapshot by default). */
  begin(options: BeginOptions = {}): Transaction {
    this.#assertOpen();
    const readTs = options.readTs ?? this.latestTs;
    if (readTs > this.latestTs || readTs < this.#retention.prunedTs) {
      throw new BackendError(
        "BadRequest",
        "SnapshotOutOfRange",
        `Snapshot ${readTs} is outside the readable range [${this.#retention.prunedTs}, ${this.latestTs}].`,
      );
    }
    const release = this.#holdSnapshot(readTs);
    return new Transaction({
      reader: this.#reader,
      readTs,
      catalog: this.#catalogAt(readTs),
      cache: this.#cache,
      clock: this.#clock,
      randomBytes: this.#randomBytes,
      limits: lowerLimits(this.#limits, options.limits),
      cursorCodec: this.#cursorCodec,
      projections: this.#projections,
      onClose: release,
    });
  }

  /**
   * Commits `tx` and closes it. Read-only transactions commit at their snapshot. Resolves
   * `conflict` when a commit after the snapshot wrote into the read set; rejects when storage
   * fails.
   */
  async commit(tx: Transaction): Promise<CommitResult> {
    if (tx.isClosed)
      throw new Error("Assertion failed: committing a closed transaction");
    if (!tx.hasWrites) {
      tx.close();
      return { type: "committed", ts: tx.readTs };
    }
    try {
      return await this.#committer.commit({
        readTs: tx.readTs,
        readSet: tx.readSet,
        minTs: tx.minCommitTs,
        prepare: (ts) => tx.prepareCommit(ts),
      });
    } finally {
      tx.close();
    }
  }

  /**
   * Runs `fn` in a fresh transaction and commits it. On an OCC conflict `fn` runs again in a new
   * transaction after a backoff (bounded, exponential, jittered, through the clock); when retries
   * run out, throws `BackendError("OCC")`. An error thrown by `fn` closes the transaction and
   * propagates.
   */
  async runInTransaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: { limits?: Partial<TransactionLimits> | undefined } = {},
  ): Promise<{ value: T; ts: Timestamp }> {
    for (let attempt = 0; ; attempt++) {
      const tx = this.begin({ limits: options.limits });
      let value: T;
      try {
        value = await fn(tx);
      } catch (e) {
        tx.close();
        throw e;
      }
      const result = await this.commit(tx);
      if (result.type === "committed") return { value, ts: result.ts };
      if (attempt >= this.#occRetry.maxRetries) throw occError(result);
      await this.#clock.sleep(
        occBackoffMs(this.#occRetry, attempt, this.#random),
      );
    }
  }

  /**
   * Calls `listener` after every durable commit, in ts order, synchronously after the snapshot is
   * published and before the committing caller resumes. Returns an unsubscribe function. A
   * throwing listener is logged and does not affect the commit.
   */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Commits after `afterTs`, from the in-memory write log (throws when already evicted). */
  commitsAfter(afterTs: Timestamp): CommittedWrite[] {
    return this.#writeLog.commitsAfter(afterTs);
  }

  /** Runs retention once now. */
  runRetention(): Promise<{ documents: number; indexes: number }> {
    return this.#retention.run();
  }

  /** Committer statistics (group sizes), for tests and benchmarks. */
  committerStats(): CommitterStats {
    return this.#committer.stats();
  }

  /** Waits for queued commits and background work, then stops. Does not close the persistence. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopFollowing();
    await this.#retention.stop();
    await this.schema.stop();
    await this.#committer.drain();
  }

  /**
   * With a shared log, absorbs other processes' commits when notified and every `pollMs`.
   * Returns the function that stops following.
   */
  #followSharedLog(pollMs: number): () => void {
    const sharedLog = this.#persistence.sharedLog;
    if (sharedLog === undefined) return () => undefined;
    const follow = (): void => void this.#committer.follow();
    const unsubscribe = sharedLog.onAppend(follow);
    const timer = setInterval(follow, pollMs);
    timer.unref();
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }

  /**
   * With a shared log (several processes): absorbs every commit other processes made so far. A
   * no-op otherwise. Tests and deploys use it to read their own and others' writes.
   */
  follow(): Promise<void> {
    return this.#committer.follow();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new Error("Assertion failed: the database is closed");
  }

  #catalogAt(readTs: Timestamp): Catalog {
    for (let i = this.#catalogs.length - 1; i >= 0; i--) {
      const version = this.#catalogs[i]!;
      if (version.ts <= readTs || i === 0) return version.catalog;
    }
    return this.catalog;
  }

  /** Registers an open reader at `ts`; returns the release function (idempotent). */
  #holdSnapshot(ts: Timestamp): () => void {
    this.#activeReads.set(ts, (this.#activeReads.get(ts) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = this.#activeReads.get(ts)! - 1;
      if (count === 0) this.#activeReads.delete(ts);
      else this.#activeReads.set(ts, count);
    };
  }

  #oldestActiveTs(): Timestamp | null {
    let oldest = NO_TS;
    for (const ts of this.#activeReads.keys())
      if (oldest === NO_TS || ts < oldest) oldest = ts;
    return oldest === NO_TS ? null : oldest;
  }

  /** Publishes durable commits: catalog versions first, then listeners. */
  #publish(commits: readonly CommittedWrite[]): void {
    for (const commit of commits) {
      let catalog = this.catalog;
      for (const doc of commit.documents) {
        if (
          doc.tableNumber === TABLES_TABLE_NUMBER ||
          doc.tableNumber === INDEX_TABLE_NUMBER
        ) {
          catalog = catalog.apply(doc.tableNumber, doc.id, doc.document);
        }
      }
      if (catalog !== this.catalog)
        this.#catalogs.push({ ts: commit.ts, catalog });
    }
    this.#trimCatalogs();
    this.#retention.afterCommit(this.latestTs);
    for (const commit of commits) {
      this.#projections.apply(commit);
      for (const listener of this.#listeners) {
        try {
          listener(commit);
        } catch (e) {
          this.#logger.error("commit listener failed", { error: String(e) });
        }
      }
    }
  }

  /** Drops catalog versions below the retention window that no open reader uses. */
  #trimCatalogs(): void {
    const active = this.#oldestActiveTs() ?? this.latestTs;
    const windowStart =
      this.latestTs - BigInt(this.#retentionWindowMs) * 1_000_000n;
    const oldest = active < windowStart ? active : windowStart;
    while (this.#catalogs.length > 1 && this.#catalogs[1]!.ts <= oldest)
      this.#catalogs.shift();
  }
}

function lowerLimits(
  base: TransactionLimits,
  requested: Partial<TransactionLimits> | undefined,
): TransactionLimits {
  if (requested === undefined) return base;
  const pick = (key: keyof TransactionLimits): number =>
    Math.min(base[key], requested[key] ?? base[key]);
  return {
    maxDocumentsRead: pick("maxDocumentsRead"),
    maxBytesRead: pick("maxBytesRead"),
    maxReadIntervals: pick("maxReadIntervals"),
    maxDocumentsWritten: pick("maxDocumentsWritten"),
    maxBytesWritten: pick("maxBytesWritten"),
  };
}

/** Loads the catalog stored at `ts`: every `_tables` and `_index` document. */
async function loadCatalog(
  reader: PersistenceReader,
  ts: Timestamp,
): Promise<Catalog> {
  let catalog = Catalog.bootstrap();
  const cache = new DocumentCache(0);
  for (const tableNumber of [
    TABLES_TABLE_NUMBER,
    INDEX_TABLE_NUMBER,
  ] as const) {
    const interval = { start: new Uint8Array(0), end: null };
    for await (const entry of reader.indexScan(
      `${tableNumber}/${BY_ID}`,
      ts,
      interval,
      "asc",
    )) {
      const parsed = cache.parse(entry.document);
      if (parsed !== null)
        catalog = catalog.apply(
          tableNumber,
          entry.document.id,
          parsed.document,
        );
    }
  }
  return catalog;
}

/** The persisted cursor secret, generated and stored on first use. */
async function loadCursorSecret(persistence: Persistence): Promise<Uint8Array> {
  const stored = await persistence.reader().getGlobal(CURSOR_SECRET_GLOBAL);
  if (typeof stored === "string")
    return new Uint8Array(Buffer.from(stored, "hex"));
  const secret = new Uint8Array(cryptoRandomBytes(CURSOR_SECRET_BYTES));
  await persistence.writeGlobal(
    CURSOR_SECRET_GLOBAL,
    Buffer.from(secret).toString("hex"),
  );
  return secret;
}

/** Bytes of OS randomness fetched at once by {@link pooledRandomBytes}. */
const RANDOM_POOL_BYTES = 4096;

/**
 * Crypto-random bytes for document ids, drawn from a pool refilled 4 KiB at a time: one call into
 * OpenSSL per few hundred ids instead of one (with its locking and fork check) per id.
 */
function pooledRandomBytes(): (n: number) => Uint8Array {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let offset = pool.length;
  return (n) => {
    if (n > pool.length) return randomFillSync(new Uint8Array(n));
    if (offset + n > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += n;
    return pool.slice(offset - n, offset);
  };
}
