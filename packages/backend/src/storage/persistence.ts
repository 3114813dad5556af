/**
 * The storage contract: an append-only, multi-version log of documents and index entries, plus a
 * small key/value table of globals. Modelled on convex-backend's `Persistence` trait.
 *
 * Drivers know nothing about Convex values, schemas or functions: documents are opaque JSON text,
 * index keys are opaque byte strings whose byte order is the order the engine wants, and table,
 * index and document identifiers are opaque strings. Every implementation passes
 * `persistence.suite.ts`.
 */

/** Commit timestamp: u64 nanoseconds since the Unix epoch. */
export type Timestamp = bigint;

export type Order = "asc" | "desc";

/** A JSON value as stored in globals. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

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

/** One atomic append: every row lands, or none does. Rows may carry different timestamps. */
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
  /** The largest `ts` of any document revision, or null when the log is empty. */
  maxTs(): Promise<Timestamp | null>;

  /** Every document revision whose `ts` is in `range`, ordered by `(ts, tableId, id)`. */
  loadDocuments(range: TimestampRange, order: Order): AsyncIterable<DocumentLogEntry>;

  /**
   * The newest revision of document `(tableId, id)` with `ts <= readTs`, tombstones included, or
   * null when there is none.
   */
  getDocument(tableId: string, id: string, readTs: Timestamp): Promise<DocumentLogEntry | null>;

  /**
   * The entries of `indexId` whose key lies in `interval`, as of snapshot `readTs`: for each key,
   * the newest revision with `ts <= readTs`, skipped when it is a tombstone, joined with the
   * document revision `(tableId, docId, ts)`. Yields in key order (`asc` or `desc`), at most
   * `limit` entries when given. A single indexed query (or a few large batches), never a query
   * per row.
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

export interface Persistence {
  readonly capabilities: PersistenceCapabilities;

  reader(): PersistenceReader;

  /**
   * Appends `write` atomically and durably: when the promise resolves, every row survives a crash
   * (subject to the driver's documented durability setting); when it rejects, none is visible.
   */
  write(write: PersistenceWrite, conflict: ConflictStrategy): Promise<void>;

  /** Sets a global; durable like `write`. */
  writeGlobal(key: string, value: JsonValue): Promise<void>;

  /**
   * Retention: deletes every document revision and index entry that no snapshot at or after
   * `minSnapshotTs` can see (a revision shadowed by a newer one with `ts <= minSnapshotTs`, and
   * tombstones that are the newest revision at `minSnapshotTs`, with everything before them).
   * Reads at `ts >= minSnapshotTs` return the same results before and after. Returns how many rows
   * were deleted.
   */
  pruneBefore(minSnapshotTs: Timestamp): Promise<{ documents: number; indexes: number }>;

  /** Releases the underlying resources; the instance is unusable afterwards. */
  close(): Promise<void>;
}
