/**
 * `Persistence` on one SQLite file through better-sqlite3, in WAL mode.
 *
 * Two connections: reads run on the caller's thread (better-sqlite3 is synchronous, so each read
 * runs to completion inside the call), writes on a writer thread (`sqlite-writer.ts`), so the
 * event loop never inserts rows, appends WAL frames, checkpoints or syncs. A write resolves once
 * the thread committed it and made it durable, after which every read sees it (WAL readers see
 * every committed transaction and never wait for the writer). Scans fetch batches with `all()`
 * (an open cursor would hold a read transaction between steps) and continue from the last key.
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
import { openSqliteConnection } from "./sqlite-connection.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import { migrateSqliteSchema } from "./sqlite-schema.js";
import {
  prepareReads,
  type SqliteReadStatements,
} from "./sqlite-statements.js";
import { SqliteWriter, SqliteWriterError } from "./sqlite-writer.js";

/**
 * How hard a commit waits for the disk.
 * - `full` (default): the WAL is fsynced after every commit before the write resolves, so an
 *   acknowledged write survives a process crash and a power loss. The fsync runs off the writer
 *   thread's commits (`wal-sync.ts`: `synchronous=NORMAL` plus a WAL fdatasync on the thread pool,
 *   which is what `synchronous=FULL` does, inline).
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
  readonly #sql: SqliteReadStatements;
  readonly #writer: SqliteWriter;
  readonly #reader: PersistenceReader;
  #closed = false;

  /**
   * Opens (or creates) the database at `options.path`, sets WAL mode and the durability level,
   * migrates the layout and starts the writer thread. Throws when the file is not a database or
   * has a newer layout.
   */
  static open(options: SqlitePersistenceOptions): SqlitePersistence {
    let db: SqliteDatabase | null = null;
    try {
      db = openSqliteConnection(options.path);
      migrateSqliteSchema(db);
      return new SqlitePersistence(db, options);
    } catch (e) {
      db?.close();
      throw toPersistenceError("open", e);
    }
  }

  private constructor(db: SqliteDatabase, options: SqlitePersistenceOptions) {
    this.#db = db;
    this.synchronous = options.synchronous ?? "full";
    this.#sql = prepareReads(db);
    this.#writer = new SqliteWriter(options.path, this.synchronous === "full");
    this.#reader = {
      maxTs: () =>
        this.#run("maxTs", () => this.#sql.maxTs.get() as bigint | null),
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
    this.#assertWritable("write");
    await this.#writer
      .write(write, conflict === "Overwrite")
      .catch((e: unknown) => {
        throw e instanceof SqliteWriterError && e.conflict
          ? createPersistenceConflict(
              `A row of this write already exists: ${e.message}`,
              e,
            )
          : toPersistenceError("write", e);
      });
  }

  async writeGlobal(key: string, value: JsonValue): Promise<void> {
    this.#assertWritable("writeGlobal");
    await this.#writer
      .writeGlobal(key, JSON.stringify(value))
      .catch((e: unknown) => {
        throw toPersistenceError("writeGlobal", e);
      });
  }

  async pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }> {
    this.#assertWritable("pruneBefore");
    try {
      return await this.#writer.prune(clampTs(minSnapshotTs));
    } catch (e) {
      throw toPersistenceError("pruneBefore", e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close();
    await this.#run("close", () => {
      this.#db.close();
    });
  }

  /** Throws the driver's "closed" error (as a storage error of `operation`) once closed. */
  #assertWritable(operation: string): void {
    try {
      this.#assertOpen();
    } catch (e) {
      throw toPersistenceError(operation, e);
    }
  }

  #getDocument(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): DocumentLogEntry | null {
    const row = this.#sql.getDocument.get(tableId, id, clampTs(readTs)) as
      [bigint, bigint | null, string | null] | undefined;
    if (row === undefined) return null;
    return { tableId, id, ts: row[0], prevTs: row[1], value: row[2] };
  }

  *#load(range: TimestampRange, order: Order): Generator<DocumentLogEntry> {
    const start = range.start < 0n ? 0n : clampTs(range.start);
    const last = range.end === null ? I64_MAX : clampTs(range.end - 1n);
    if (last < start) return;
    const asc = order === "asc";
    let rows = (asc ? this.#sql.loadAscFirst : this.#sql.loadDescFirst).all(
      start,
      last,
      LOAD_BATCH_ROWS,
    ) as DocumentRow[];
    for (;;) {
      for (const row of rows) yield toDocument(row);
      const tail = rows.at(-1);
      if (rows.length < LOAD_BATCH_ROWS || tail === undefined) return;
      rows = (
        asc
          ? this.#sql.loadAscNext.all(
              tail[2],
              tail[0],
              tail[1],
              last,
              LOAD_BATCH_ROWS,
            )
          : this.#sql.loadDescNext.all(
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
      const statement = asc ? sql.scanAscUnbounded : sql.scanDescUnbounded;
      return statement.all({
        index: indexId,
        start,
        ts: readTs,
        limit: rows,
      }) as ScanRow[];
    }
    if (Buffer.compare(start, end) >= 0) return [];
    const statement = asc ? sql.scanAscBounded : sql.scanDescBounded;
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

function toScanEntry(indexId: string, row: ScanRow): IndexScanEntry {
  const [key, ts, tableId, id, documentTs, prevTs, value] = row;
  if (documentTs === null) {
    throw new Error(
      `Index ${indexId} points at missing revision (${tableId}, ${id}, ${ts})`,
    );
  }
  return { key, ts, document: { tableId, id, ts, prevTs, value } };
}
