/**
 * `Persistence` on one SQLite file through better-sqlite3, in WAL mode.
 *
 * better-sqlite3 is synchronous, so every operation runs to completion inside the call and
 * operations never interleave; one connection serves reads and writes. Scans fetch batches with
 * `all()` (an open cursor would block the connection between steps) and continue from the last
 * key, so a suspended scan never holds the database.
 */
import type {
  ConflictStrategy,
  DocumentLogEntry,
  IndexScanEntry,
  JsonValue,
  KeyInterval,
  Order,
  Persistence,
  PersistenceCapabilities,
  PersistenceReader,
  PersistenceWrite,
  Timestamp,
  TimestampRange,
} from "../persistence.js";
import {
  createPersistenceConflict,
  toPersistenceError,
} from "../persistence-error.js";
import { toAsyncIterable } from "../to-async-iterable.js";
import { openSqliteDatabase, type SqliteDatabase } from "./sqlite-database.js";
import { SqlitePruner } from "./sqlite-pruner.js";
import { migrateSqliteSchema } from "./sqlite-schema.js";
import { SqliteStatements } from "./sqlite-statements.js";
import { WalSync } from "./wal-sync.js";

/**
 * How hard a commit waits for the disk.
 * - `full` (default): the WAL is fsynced after every commit before the write resolves, so an
 *   acknowledged write survives a process crash and a power loss. The fsync runs off the event
 *   loop (`wal-sync.ts`: `synchronous=NORMAL` plus a WAL fdatasync on the thread pool, which is
 *   what `synchronous=FULL` does, inline).
 * - `normal`: WAL with `synchronous=NORMAL`; fsync happens only at checkpoints, about 3x more
 *   commits per second. An acknowledged write survives a process crash but the last commits may
 *   be lost (never half-applied) on power loss or an OS crash. Opt in knowingly.
 */
export type SqliteSynchronous = "full" | "normal";

export interface SqlitePersistenceOptions {
  /** Path of the database file; created with the current layout when missing. */
  readonly path: string;
  readonly synchronous?: SqliteSynchronous | undefined;
}

/** The largest SQLite INTEGER; bounds that reach past it mean "unbounded". */
const I64_MAX = (1n << 63n) - 1n;
/** Rows per `loadDocuments` batch: large enough to amortise the query, small enough for memory. */
const LOAD_BATCH_ROWS = 512;
/**
 * Index scans without a limit start with a small batch (a caller that stops after one row should
 * not pay for more) and grow it fourfold per batch up to the cap, so long scans cost a handful of
 * queries. Scans with a limit fetch it in one query when it is below the cap.
 */
const SCAN_FIRST_BATCH_ROWS = 16;
const SCAN_MAX_BATCH_ROWS = 4096;
const ZERO_BYTE = Buffer.of(0);

type DocumentRow = [
  string,
  string,
  bigint,
  bigint | null,
  bigint,
  string | null,
];
type ScanRow = [
  Buffer,
  bigint,
  string,
  string,
  bigint | null,
  bigint | null,
  string | null,
];

function clampTs(ts: Timestamp): Timestamp {
  return ts > I64_MAX ? I64_MAX : ts;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toDocument(row: DocumentRow): DocumentLogEntry {
  return {
    tableId: row[0],
    id: row[1],
    ts: row[2],
    prevTs: row[3],
    value: row[5],
  };
}

/** A `Persistence` in one SQLite file. Create it with {@link SqlitePersistence.open}. */
export class SqlitePersistence implements Persistence {
  /** better-sqlite3 finishes each write inside the call, so no read ever waits on one. */
  readonly capabilities: PersistenceCapabilities = {
    supportsConcurrentReaders: true,
  };
  /** The durability level in force (`full`: the WAL is synced before each write resolves). */
  readonly synchronous: SqliteSynchronous;
  readonly #db: SqliteDatabase;
  readonly #sql: SqliteStatements;
  readonly #pruner: SqlitePruner;
  /** With `full`: syncs the WAL before writes resolve; null with `normal`. */
  readonly #walSync: WalSync | null;
  readonly #reader: PersistenceReader;
  readonly #writeTransaction: (
    write: PersistenceWrite,
    conflict: ConflictStrategy,
  ) => void;
  #closed = false;

  /**
   * Opens (or creates) the database at `options.path`, sets WAL mode and the durability level,
   * and migrates the layout. Throws when the file is not a database or has a newer layout.
   */
  static open(options: SqlitePersistenceOptions): SqlitePersistence {
    const db = openSqliteDatabase(options.path);
    try {
      const synchronous = options.synchronous ?? "full";
      configureConnection(db);
      migrateSqliteSchema(db);
      const walSync = synchronous === "full" ? new WalSync(options.path) : null;
      return new SqlitePersistence(db, walSync);
    } catch (e) {
      db.close();
      throw toPersistenceError("open", e);
    }
  }

  private constructor(db: SqliteDatabase, walSync: WalSync | null) {
    this.#db = db;
    this.#walSync = walSync;
    this.synchronous = walSync === null ? "normal" : "full";
    this.#sql = new SqliteStatements(db);
    this.#pruner = new SqlitePruner(db);
    this.#writeTransaction = db.transaction(
      (write: PersistenceWrite, conflict: ConflictStrategy) =>
        this.#writeRows(write, conflict),
    );
    this.#reader = {
      maxTs: () =>
        this.#run("maxTs", () => this.#sql.read.maxTs.get() as bigint | null),
      loadDocuments: (range, order) =>
        toAsyncIterable("loadDocuments", () => this.#load(range, order)),
      getDocument: (tableId, id, readTs) =>
        this.#run("getDocument", () => this.#getDocument(tableId, id, readTs)),
      indexScan: (indexId, readTs, interval, order, limit) =>
        toAsyncIterable("indexScan", () =>
          this.#scan(indexId, readTs, interval, order, limit),
        ),
      getGlobal: (key) =>
        this.#run("getGlobal", () => {
          const text = this.#sql.getGlobal.get(key) as string | undefined;
          return text === undefined ? null : (JSON.parse(text) as JsonValue);
        }),
    };
  }

  reader(): PersistenceReader {
    return this.#reader;
  }

  async write(
    write: PersistenceWrite,
    conflict: ConflictStrategy,
  ): Promise<void> {
    await this.#run("write", () => {
      try {
        this.#writeTransaction(write, conflict);
      } catch (e) {
        throw isPrimaryKeyViolation(e)
          ? createPersistenceConflict(
              `A row of this write already exists: ${String(e)}`,
              e,
            )
          : e;
      }
    });
    await this.#durable("write");
  }

  async writeGlobal(key: string, value: JsonValue): Promise<void> {
    await this.#run("writeGlobal", () => {
      this.#sql.putGlobal.run(key, JSON.stringify(value));
    });
    await this.#durable("writeGlobal");
  }

  async pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }> {
    try {
      return await this.#pruner.prune(clampTs(minSnapshotTs), () =>
        this.#assertOpen(),
      );
    } catch (e) {
      throw toPersistenceError("pruneBefore", e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#walSync?.close();
    await this.#run("close", () => {
      this.#db.close();
    });
  }

  /** With `full`: waits until the WAL holding the operation's commit is on disk. */
  async #durable(operation: string): Promise<void> {
    try {
      await this.#walSync?.sync();
    } catch (e) {
      throw toPersistenceError(operation, e);
    }
  }

  #writeRows(write: PersistenceWrite, conflict: ConflictStrategy): void {
    const overwrite = conflict === "Overwrite";
    const documents = overwrite
      ? this.#sql.replaceDocument
      : this.#sql.insertDocument;
    for (const d of write.documents) {
      documents.run(
        d.tableId,
        d.id,
        d.ts,
        d.prevTs,
        d.value === null ? 1 : 0,
        d.value,
      );
    }
    const indexes = overwrite
      ? this.#sql.replaceIndexEntry
      : this.#sql.insertIndexEntry;
    for (const e of write.indexes) {
      indexes.run(
        e.indexId,
        toBuffer(e.key),
        e.ts,
        e.deleted ? 1 : 0,
        e.tableId,
        e.docId,
      );
    }
  }

  #getDocument(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): DocumentLogEntry | null {
    const row = this.#sql.read.getDocument.get(tableId, id, clampTs(readTs)) as
      [bigint, bigint | null, string | null] | undefined;
    if (row === undefined) return null;
    return { tableId, id, ts: row[0], prevTs: row[1], value: row[2] };
  }

  *#load(range: TimestampRange, order: Order): Generator<DocumentLogEntry> {
    const start = range.start < 0n ? 0n : clampTs(range.start);
    const last = range.end === null ? I64_MAX : clampTs(range.end - 1n);
    if (last < start) return;
    const asc = order === "asc";
    let rows = (
      asc ? this.#sql.read.loadAscFirst : this.#sql.read.loadDescFirst
    ).all(start, last, LOAD_BATCH_ROWS) as DocumentRow[];
    for (;;) {
      for (const row of rows) yield toDocument(row);
      const tail = rows.at(-1);
      if (rows.length < LOAD_BATCH_ROWS || tail === undefined) return;
      rows = (
        asc
          ? this.#sql.read.loadAscNext.all(
              tail[2],
              tail[0],
              tail[1],
              last,
              LOAD_BATCH_ROWS,
            )
          : this.#sql.read.loadDescNext.all(
              tail[2],
              tail[0],
              tail[1],
              start,
              LOAD_BATCH_ROWS,
            )
      ) as DocumentRow[];
    }
  }

  *#scan(
    indexId: string,
    readTs: Timestamp,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ): Generator<IndexScanEntry> {
    const asc = order === "asc";
    const ts = clampTs(readTs);
    let start = toBuffer(interval.start);
    let end = interval.end === null ? null : toBuffer(interval.end);
    let remaining = limit ?? Number.POSITIVE_INFINITY;
    let batch =
      limit === undefined
        ? SCAN_FIRST_BATCH_ROWS
        : Math.min(limit, SCAN_MAX_BATCH_ROWS);
    while (remaining > 0) {
      const rows = this.#scanBatch(
        indexId,
        ts,
        start,
        end,
        asc,
        Math.min(batch, remaining),
      );
      for (const row of rows) yield toScanEntry(indexId, row);
      const lastKey = rows.at(-1)?.[0];
      if (rows.length < Math.min(batch, remaining) || lastKey === undefined)
        return;
      remaining -= rows.length;
      // Continue strictly past the last key: its successor in byte order is the key plus 0x00.
      if (asc) start = Buffer.concat([lastKey, ZERO_BYTE]);
      else end = lastKey;
      batch = Math.min(batch * 4, SCAN_MAX_BATCH_ROWS);
    }
  }

  #scanBatch(
    indexId: string,
    readTs: Timestamp,
    start: Buffer,
    end: Buffer | null,
    asc: boolean,
    rows: number,
  ): ScanRow[] {
    const sql = this.#sql;
    if (end === null) {
      const statement = asc
        ? sql.read.scanAscUnbounded
        : sql.read.scanDescUnbounded;
      return statement.all({
        index: indexId,
        start,
        ts: readTs,
        limit: rows,
      }) as ScanRow[];
    }
    if (Buffer.compare(start, end) >= 0) return [];
    const statement = asc ? sql.read.scanAscBounded : sql.read.scanDescBounded;
    return statement.all({
      index: indexId,
      start,
      end,
      ts: readTs,
      limit: rows,
    }) as ScanRow[];
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("SqlitePersistence is closed");
  }

  /** Runs a synchronous operation as a promise, with errors normalised. */
  #run<T>(operation: string, fn: () => T): Promise<T> {
    try {
      if (operation !== "close") this.#assertOpen();
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(toPersistenceError(operation, e));
    }
  }
}

/**
 * Sets the connection's pragmas. `synchronous=NORMAL` for both levels: with `full` the WAL sync
 * after each commit is `WalSync`'s.
 */
function configureConnection(db: SqliteDatabase): void {
  const journal = db.pragma("journal_mode = WAL", { simple: true });
  if (journal !== "wal")
    throw new Error(`journal_mode is ${String(journal)}, not wal`);
  db.pragma("synchronous = NORMAL");
  // Wait rather than fail if an outside tool (a backup, the sqlite3 shell) holds a lock.
  db.pragma("busy_timeout = 5000");
  // 64 MiB of page cache instead of the 2 MiB default: index and document pages stay hot.
  db.pragma("cache_size = -65536");
  // Truncate the WAL back to 64 MiB after checkpoints, so a burst does not keep a huge file.
  db.pragma("journal_size_limit = 67108864");
  // Checkpoint every 8192 WAL pages (32 MiB) instead of 1000: a checkpoint runs inside a commit
  // on the event loop and fsyncs; rarer checkpoints also copy each hot index page once per many
  // commits. Measured: about +25% commits/s in the engine-commit benchmark.
  db.pragma("wal_autocheckpoint = 8192");
  // SQLite reports synchronous as a number: 1 is NORMAL.
  const level = db.pragma("synchronous", { simple: true });
  if (level !== 1) throw new Error(`synchronous is ${String(level)}, not 1`);
}

function toScanEntry(indexId: string, row: ScanRow): IndexScanEntry {
  const [key, ts, tableId, id, documentTs, prevTs, value] = row;
  if (documentTs === null) {
    throw new Error(
      `Index ${indexId} points at missing revision (${tableId}, ${id}, ${ts})`,
    );
  }
  return { key, ts, document: { tableId, id, ts, prevTs, value } };
}

function isPrimaryKeyViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    code === "SQLITE_CONSTRAINT_UNIQUE"
  );
}
