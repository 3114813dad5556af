/**
 * Every statement the SQLite driver runs, prepared once per connection.
 *
 * Index scans read, for each key in range, the newest revision at or before the snapshot:
 * `GROUP BY key` with `MAX(ts)` over the `(index_id, key, ts)` primary key, where SQLite takes the
 * other bare columns from the row holding the maximum. The grouped rows stream (a co-routine, no
 * temporary b-tree), tombstones are dropped, and each survivor is joined to its document revision
 * with one primary-key seek; `LIMIT` stops the walk early. Continuations narrow the interval past
 * the last key returned, so a long scan is a few large batches rather than one query per row.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite-database.js";

const DOCUMENT_COLUMNS = "table_id, id, ts, prev_ts, deleted, json_value";

/**
 * A row limit bound at run time, written `? + 0` on purpose: SQLite peeks at a bare `LIMIT ?`
 * while planning, so binding it makes every execution re-prepare the statement (measured: a
 * one-row index scan took 5x longer). An expression hides the value from the planner.
 */
export const BOUND_LIMIT = "? + 0";

function loadSql(where: string, direction: "ASC" | "DESC"): string {
  const order = ["ts", "table_id", "id"].map((c) => `${c} ${direction}`);
  return `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${where} ORDER BY ${order.join(", ")} LIMIT ${BOUND_LIMIT}`;
}

function indexScanSql(direction: "ASC" | "DESC", bounded: boolean): string {
  const upper = bounded ? "AND key < ?" : "";
  return `
    SELECT i.key, i.ts, i.table_id, i.doc_id, d.ts, d.prev_ts, d.json_value
    FROM (
      SELECT key, MAX(ts) AS ts, deleted, table_id, doc_id
      FROM indexes
      WHERE index_id = ? AND key >= ? ${upper} AND ts <= ?
      GROUP BY key
      ORDER BY key ${direction}
    ) AS i
    LEFT JOIN documents AS d ON d.table_id = i.table_id AND d.id = i.doc_id AND d.ts = i.ts
    WHERE i.deleted = 0
    ORDER BY i.key ${direction}
    LIMIT ${BOUND_LIMIT}`;
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
  /** `(index_id, start, end, readTs, limit)` and the same without `end`. */
  scanAscBounded: indexScanSql("ASC", true),
  scanAscUnbounded: indexScanSql("ASC", false),
  scanDescBounded: indexScanSql("DESC", true),
  scanDescUnbounded: indexScanSql("DESC", false),
} as const;

type ReadStatements = {
  readonly [K in keyof typeof SQLITE_READ_SQL]: SqliteStatement;
};

/** Prepares the reads: rows come back as arrays with `bigint` integers. */
function prepareReads(db: SqliteDatabase): ReadStatements {
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
  };
}

/** Prepared statements of one connection. */
export class SqliteStatements {
  readonly insertDocument: SqliteStatement;
  readonly replaceDocument: SqliteStatement;
  readonly insertIndexEntry: SqliteStatement;
  readonly replaceIndexEntry: SqliteStatement;
  readonly read: ReadStatements;
  readonly getGlobal: SqliteStatement;
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
    this.read = prepareReads(db);
    this.getGlobal = db
      .prepare("SELECT json_value FROM persistence_globals WHERE key = ?")
      .pluck();
    this.putGlobal = db.prepare(
      "INSERT INTO persistence_globals (key, json_value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json_value = excluded.json_value",
    );
  }
}
