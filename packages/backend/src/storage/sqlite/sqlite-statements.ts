/**
 * Every statement the SQLite driver runs, prepared once per connection.
 *
 * Index scans read, for each key in range, the newest revision at or before the snapshot. A key
 * keeps one row per revision until retention collects it (a hot document patched a thousand times
 * a minute has thousands), so a scan must not walk revisions: it is a skip scan, a recursive
 * query that seeks from one distinct key to the next (`key > previous ORDER BY key LIMIT 1`),
 * seeks the newest revision of each at or before the snapshot (`MAX(ts)` over `key = ? AND
 * ts <= ?`), then joins that entry and its document by primary key. Every step is a b-tree
 * seek, so a scan costs the same however many revisions its keys have. The recursion is a
 * co-routine: `LIMIT` stops it early, and it yields keys in scan order. Tombstones and keys with
 * no revision at the snapshot are dropped by the join. Continuations narrow the interval past the
 * last key returned, so a long scan is a few large batches rather than one query per row.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite-database.js";

const DOCUMENT_COLUMNS = "table_id, id, ts, prev_ts, deleted, json_value";

/**
 * A row limit bound at run time, written `? + 0` (`@limit + 0` in the scans) on purpose: SQLite
 * peeks at a bare `LIMIT ?` while planning, so binding it makes every execution re-prepare the
 * statement (measured: a one-row index scan took 5x longer). An expression hides the value from
 * the planner.
 */
export const BOUND_LIMIT = "? + 0";

function loadSql(where: string, direction: "ASC" | "DESC"): string {
  const order = ["ts", "table_id", "id"].map((c) => `${c} ${direction}`);
  return `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${where} ORDER BY ${order.join(", ")} LIMIT ${BOUND_LIMIT}`;
}

/** The first key after `after` (or the first in range) in scan order, as a scalar subquery. */
function nextKeySql(
  direction: "ASC" | "DESC",
  bounded: boolean,
  after: string | null,
): string {
  const conditions = ["index_id = @index"];
  if (direction === "ASC") {
    conditions.push(after === null ? "key >= @start" : `key > ${after}`);
    if (bounded) conditions.push("key < @end");
  } else {
    conditions.push(after === null ? "key >= @start" : `key < ${after}`);
    if (after === null && bounded) conditions.push("key < @end");
    if (after !== null) conditions.push("key >= @start");
  }
  return `(SELECT key FROM indexes WHERE ${conditions.join(" AND ")} ORDER BY key ${direction} LIMIT 1)`;
}

/** The newest revision ts of `key` at or before the snapshot, as a scalar subquery. */
function newestTsSql(key: string): string {
  return `(SELECT MAX(ts) FROM indexes WHERE index_id = @index AND key = ${key} AND ts <= @ts)`;
}

/** Named parameters: `@index`, `@start`, `@end` (when bounded), `@ts`, `@limit`. */
function indexScanSql(direction: "ASC" | "DESC", bounded: boolean): string {
  const first = nextKeySql(direction, bounded, null);
  const next = nextKeySql(direction, bounded, "k.key");
  return `
    WITH RECURSIVE k(key, ts) AS (
      SELECT ${first}, ${newestTsSql(first)}
      UNION ALL
      SELECT ${next}, ${newestTsSql(next)} FROM k WHERE k.key IS NOT NULL
    )
    SELECT i.key, i.ts, i.table_id, i.doc_id, d.ts, d.prev_ts, d.json_value
    FROM k
    CROSS JOIN indexes AS i ON i.index_id = @index AND i.key = k.key AND i.ts = k.ts
    LEFT JOIN documents AS d ON d.table_id = i.table_id AND d.id = i.doc_id AND d.ts = i.ts
    WHERE i.deleted = 0
    LIMIT @limit + 0`;
}

/**
 * The SQL of every read that must be a single indexed search (`sqlite-persistence.test.ts`
 * checks each plan). Parameters are listed per query.
 */
export const SQLITE_READ_SQL = {
  /** `(table_id, id, readTs)` → `[ts, prev_ts, json_value]` of the newest revision. */
  getDocument:
    "SELECT ts, prev_ts, json_value FROM documents WHERE table_id = ? AND id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
  maxTs: "SELECT MAX(ts) FROM documents",
  /** `(startTs, lastTs, limit)`, ascending from the start. */
  loadAscFirst: loadSql("ts >= ? AND ts <= ?", "ASC"),
  /** `(ts, table_id, id, lastTs, limit)`, ascending after a row. */
  loadAscNext: loadSql("(ts, table_id, id) > (?, ?, ?) AND ts <= ?", "ASC"),
  /** `(startTs, lastTs, limit)`, descending from the end. */
  loadDescFirst: loadSql("ts >= ? AND ts <= ?", "DESC"),
  /** `(ts, table_id, id, startTs, limit)`, descending before a row. */
  loadDescNext: loadSql("(ts, table_id, id) < (?, ?, ?) AND ts >= ?", "DESC"),
  /** `@index`, `@start`, `@end`, `@ts`, `@limit`; the unbounded ones without `@end`. */
  scanAscBounded: indexScanSql("ASC", true),
  scanAscUnbounded: indexScanSql("ASC", false),
  scanDescBounded: indexScanSql("DESC", true),
  scanDescUnbounded: indexScanSql("DESC", false),
} as const;

type ReadStatements = {
  readonly [K in keyof typeof SQLITE_READ_SQL]: SqliteStatement;
};

/** The reads of one connection: rows come back as arrays with `bigint` integers. */
export interface SqliteReadStatements extends ReadStatements {
  readonly getGlobal: SqliteStatement;
}

export function prepareReads(db: SqliteDatabase): SqliteReadStatements {
  const read = (sql: string) => db.prepare(sql).raw().safeIntegers();
  const r = SQLITE_READ_SQL;
  return {
    getDocument: read(r.getDocument),
    maxTs: db.prepare(r.maxTs).pluck().safeIntegers(),
    loadAscFirst: read(r.loadAscFirst),
    loadAscNext: read(r.loadAscNext),
    loadDescFirst: read(r.loadDescFirst),
    loadDescNext: read(r.loadDescNext),
    scanAscBounded: read(r.scanAscBounded),
    scanAscUnbounded: read(r.scanAscUnbounded),
    scanDescBounded: read(r.scanDescBounded),
    scanDescUnbounded: read(r.scanDescUnbounded),
    getGlobal: db
      .prepare("SELECT json_value FROM persistence_globals WHERE key = ?")
      .pluck(),
  };
}

/** The writes of one connection (the writer thread's). */
export class SqliteWriteStatements {
  readonly insertDocument: SqliteStatement;
  readonly replaceDocument: SqliteStatement;
  readonly insertIndexEntry: SqliteStatement;
  readonly replaceIndexEntry: SqliteStatement;
  readonly putGlobal: SqliteStatement;

  constructor(db: SqliteDatabase) {
    const insert = (verb: string, table: string, columns: string) =>
      db.prepare(
        `${verb} INTO ${table} (${columns}) VALUES (${columns.replace(/\w+/g, "?")})`,
      );
    const indexColumns = "index_id, key, ts, deleted, table_id, doc_id";
    this.insertDocument = insert("INSERT", "documents", DOCUMENT_COLUMNS);
    this.replaceDocument = insert(
      "INSERT OR REPLACE",
      "documents",
      DOCUMENT_COLUMNS,
    );
    this.insertIndexEntry = insert("INSERT", "indexes", indexColumns);
    this.replaceIndexEntry = insert(
      "INSERT OR REPLACE",
      "indexes",
      indexColumns,
    );
    this.putGlobal = db.prepare(
      "INSERT INTO persistence_globals (key, json_value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json_value = excluded.json_value",
    );
  }
}
