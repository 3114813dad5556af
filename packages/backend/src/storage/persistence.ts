/**
 * The storage contract: an append-only, multi-version log of documents and index entries, plus a
 * small key/value table of globals. Modelled on convex-backend's `Persistence` trait.
 *
 * Drivers know nothing about Convex values, schemas or functions: documents are opaque JSON text,
 * index keys are opaque byte strings whose byte order is the order the engine wants, and table,
 * index and document identifiers are opaque strings. Every implementation passes
 * `persistence.suite.ts`.
 *
 * Errors: every method rejects with a `BackendError`. A write refused because a row with the same
 * primary key exists (under `Error`) has `shortMsg` {@link PERSISTENCE_CONFLICT}; any other driver
 * failure is an `OperationalInternalServerError` whose `cause` is the driver's error.
 *
 * Byte strings handed to a driver are copied or written before the call returns, so callers may
 * reuse their buffers; byte strings a driver returns must not be mutated.
 */

/** `shortMsg` of the error a write gets when a row it appends already exists (strategy `Error`). */
export const PERSISTENCE_CONFLICT = "PersistenceConflict";

/** Commit timestamp: u64 nanoseconds since the Unix epoch. */
export type Timestamp = bigint;

export type Order = "asc" | "desc";

/** A JSON value as stored in globals. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One revision of one document. A delete is a revision whose `value` is null (a tombstone). */
export interface DocumentLogEntry {
  readonly ts: Timestamp;
  readonly tableId: string;
  readonly id: string;
  /** JSON text of the document, or null for a tombstone. */
  readonly value: string | null;
  /** Timestamp of the previous revision of this document, null for the first one. */
  readonly prevTs: Timestamp | null;
}

/**
 * One revision of one index entry. `(indexId, key)` identifies the entry; a later revision with
 * `deleted: true` removes it from snapshots at or after its `ts`.
 */
export interface IndexEntry {
  readonly indexId: string;
  readonly key: Uint8Array;
  readonly ts: Timestamp;
  readonly deleted: boolean;
  /** The document this entry points at (kept on tombstones too, for retention and debugging). */
  readonly tableId: string;
  readonly docId: string;
}

/** An index entry visible at a snapshot, joined with the document revision it points at. */
export interface IndexScanEntry {
  readonly key: Uint8Array;
  /** The timestamp of the index entry (equal to the document revision's `ts`). */
  readonly ts: Timestamp;
  readonly document: DocumentLogEntry;
}

/** Half-open byte interval `[start, end)`; `end: null` means unbounded above. */
export interface KeyInterval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | null;
}

/** Half-open timestamp interval `[start, end)`; `end: null` means unbounded above. */
export interface TimestampRange {
  readonly start: Timestamp;
  readonly end: Timestamp | null;
}

/**
 * What to do when a row with the same primary key (`(tableId, id, ts)` for documents,
 * `(indexId, key, ts)` for index entries) already exists: `Error` rejects the whole write,
 * `Overwrite` replaces the row (used by backfills and imports).
 */
export type ConflictStrategy = "Error" | "Overwrite";

/**
 * One atomic append: every row lands, or none does. Rows may carry different timestamps.
 *
 * The caller keeps the log consistent, drivers do not check it: a write never holds two rows with
 * the same primary key; every index entry that is not `deleted` points at a document revision
 * `(tableId, docId, ts)` that is written in the same or an earlier write and is not a tombstone;
 * and a new revision of a document comes with a new revision (same key, or a tombstone) of every
 * index entry that pointed at the old one, at the same `ts`. Pruning relies on the last rule: it
 * removes a document revision once a newer one hides it.
 */
export interface PersistenceWrite {
  readonly documents: readonly DocumentLogEntry[];
  readonly indexes: readonly IndexEntry[];
}

/** Differences between drivers that are not SQL text (Kysely's DialectAdapter flags). */
export interface PersistenceCapabilities {
  /** True when reads may run while a write is in flight (SQLite WAL, PostgreSQL). */
  readonly supportsConcurrentReaders: boolean;
}

export interface PersistenceReader {
  /**
   * The largest `ts` of any stored document revision, or null when there is none. Pruning can lower
   * it (when it removes a trailing tombstone), so the engine keeps its own high-water mark in the
   * globals.
   */
  maxTs(): Promise<Timestamp | null>;

  /**
   * Every stored document revision whose `ts` is in `range`, tombstones included, ordered by
   * `(ts, tableId, id)`; `desc` reverses it. Identifiers compare as binary strings (`COLLATE "C"`
   * in PostgreSQL); they are ASCII in practice, where every binary order agrees.
   * Streams in batches: rows written or pruned while the iteration is suspended may or may not be
   * seen.
   */
  loadDocuments(
    range: TimestampRange,
    order: Order,
  ): AsyncIterable<DocumentLogEntry>;

  /**
   * The newest revision of document `(tableId, id)` with `ts <= readTs`, tombstones included, or
   * null when there is none. A single indexed lookup.
   */
  getDocument(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): Promise<DocumentLogEntry | null>;

  /**
   * The entries of `indexId` whose key lies in `interval`, as of snapshot `readTs`: for each key,
   * the newest revision with `ts <= readTs`, skipped when it is a tombstone, joined with the
   * document revision `(tableId, docId, ts)`. Yields in key order (`asc` or `desc`), at most
   * `limit` entries when given (tombstones do not count). A single indexed query (or a few large
   * batches), never a query per row. An interval whose `end` is not above its `start` is empty.
   *
   * The snapshot is stable across batches as long as nothing is written at `ts <= readTs` and
   * nothing visible at `readTs` is pruned while the iteration is suspended. Throws when a visible
   * entry's document revision is missing (the caller broke the {@link PersistenceWrite} rules).
   */
  indexScan(
    indexId: string,
    readTs: Timestamp,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ): AsyncIterable<IndexScanEntry>;

  /** The value stored under `key`, or null. */
  getGlobal(key: string): Promise<JsonValue | null>;
}

/** Rows appended to the log after some timestamp: a consistent prefix of the log, in `ts` order. */
export interface LogTail {
  readonly documents: readonly DocumentLogEntry[];
  readonly indexes: readonly IndexEntry[];
}

/**
 * A log that several processes append to (PostgreSQL). Appends are serialized by a log-wide lock
 * held for the whole append transaction, so commits become visible in timestamp order and every
 * reader sees a prefix of the log. Only drivers shared between processes implement it.
 */
export interface SharedLog {
  /**
   * One serialized append: takes the log-wide lock, reads every row with `ts > knownTs`, hands
   * them to `build` (called once, synchronously), writes the rows it returns (strategy `Error`)
   * and commits. Resolves once durable; when it rejects nothing `build` returned is visible
   * (unless the error says the commit outcome is unknown).
   */
  append(
    knownTs: Timestamp,
    build: (tail: LogTail) => PersistenceWrite,
  ): Promise<void>;
  /** Every row with `ts > knownTs`, without taking the lock (a consistent prefix of the log). */
  readTail(knownTs: Timestamp): Promise<LogTail>;
  /**
   * Calls `listener` after another process appended (best effort, e.g. `LISTEN/NOTIFY`; callers
   * also poll). Returns the unsubscribe function.
   */
  onAppend(listener: () => void): () => void;
}

export interface Persistence {
  readonly capabilities: PersistenceCapabilities;

  /** Present when several processes may append to the same log (see {@link SharedLog}). */
  readonly sharedLog?: SharedLog | undefined;

  reader(): PersistenceReader;

  /**
   * Appends `write` atomically and durably: when the promise resolves, every row survives a crash
   * (subject to the driver's documented durability setting); when it rejects, none is visible.
   * Overlapping calls take effect in call order: a driver without `sharedLog` applies the rows
   * when `write` is called and only waits for durability afterwards, so the committer can write
   * the next group while this one syncs.
   */
  write(write: PersistenceWrite, conflict: ConflictStrategy): Promise<void>;

  /** Sets a global, replacing any previous value; durable like `write`. */
  writeGlobal(key: string, value: JsonValue): Promise<void>;

  /**
   * Retention: deletes every document revision and index entry that no snapshot at or after
   * `minSnapshotTs` can see (a revision shadowed by a newer one with `ts <= minSnapshotTs`, and
   * tombstones that are the newest revision at `minSnapshotTs`, with everything before them).
   * Snapshot reads (`getDocument`, `indexScan`) at `ts >= minSnapshotTs` return the same results
   * before and after, except that `getDocument` may return null where it returned a removed
   * tombstone. `loadDocuments` no longer yields the removed revisions. Returns how many rows were
   * deleted.
   */
  pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }>;

  /** Releases the underlying resources; the instance is unusable afterwards. */
  close(): Promise<void>;
}
