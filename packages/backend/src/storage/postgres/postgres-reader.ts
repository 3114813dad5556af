/**
 * The read side of `PostgresPersistence`. Every method is one indexed query, or a stream of
 * large keyset-paginated batches; none issues a query per row.
 */
import type {
  DocumentLogEntry,
  IndexScanEntry,
  JsonValue,
  KeyInterval,
  Order,
  PersistenceReader,
  Timestamp,
  TimestampRange,
} from "../persistence.js";
import { toPersistenceError } from "../persistence-error.js";
import { scanIndexRows, type IndexScanRow } from "./postgres-index-scan.js";
import { fromBytes, joinKey, toBytes } from "./postgres-keys.js";
import type { PostgresPool, Statement } from "./postgres-pool.js";

/**
 * Streams start with small batches, for callers that stop after a few rows (a `first()` or a
 * page), and double up to a size where per-batch overhead is negligible.
 */
const FIRST_BATCH_ROWS = 128;
const MAX_BATCH_ROWS = 4096;

interface DocumentRow {
  readonly table_id: Buffer;
  readonly id: Buffer;
  readonly ts: bigint;
  readonly prev_ts: bigint | null;
  readonly json_value: string | null;
}

const DOCUMENT_COLUMNS = "table_id, id, ts, prev_ts, json_value";

/** Snapshot reads over the pool; safe to use concurrently with writes and other reads. */
export class PostgresReader implements PersistenceReader {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async maxTs(): Promise<Timestamp | null> {
    const result = await this.#pool.query<{ max: bigint | null }>("maxTs", {
      name: "hull_max_ts",
      text: "SELECT max(ts) AS max FROM documents",
    });
    return result.rows[0]?.max ?? null;
  }

  async *loadDocuments(
    range: TimestampRange,
    order: Order,
  ): AsyncIterable<DocumentLogEntry> {
    let after: DocumentRow | null = null;
    let batchRows = FIRST_BATCH_ROWS;
    for (;;) {
      const statement = loadDocumentsStatement(range, order, after, batchRows);
      const { rows } = await this.#pool.query<DocumentRow>(
        "loadDocuments",
        statement,
      );
      for (const row of rows) yield toDocument(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < batchRows) return;
      after = last;
      batchRows = Math.min(batchRows * 2, MAX_BATCH_ROWS);
    }
  }

  async getDocument(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): Promise<DocumentLogEntry | null> {
    const { rows } = await this.#pool.query<DocumentRow>("getDocument", {
      name: "hull_get_document",
      text: `SELECT ${DOCUMENT_COLUMNS} FROM documents
             WHERE table_id = $1 AND id = $2 AND ts <= $3
             ORDER BY ts DESC LIMIT 1`,
      values: [toBytes(tableId), toBytes(id), readTs],
    });
    const row = rows[0];
    return row === undefined ? null : toDocument(row);
  }

  async *indexScan(
    indexId: string,
    readTs: Timestamp,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ): AsyncIterable<IndexScanEntry> {
    const rows = scanIndexRows(this.#pool, {
      indexId,
      readTs,
      interval,
      order,
      limit,
      firstBatchRows: FIRST_BATCH_ROWS,
      maxBatchRows: MAX_BATCH_ROWS,
    });
    for await (const row of rows) yield toScanEntry(indexId, row);
  }

  async getGlobal(key: string): Promise<JsonValue | null> {
    const { rows } = await this.#pool.query<{ json_value: string }>(
      "getGlobal",
      {
        name: "hull_get_global",
        text: "SELECT json_value FROM persistence_globals WHERE key = $1",
        values: [toBytes(key)],
      },
    );
    const row = rows[0];
    return row === undefined ? null : (JSON.parse(row.json_value) as JsonValue);
  }
}

/** One batch of `loadDocuments`, continuing after `after` in `(ts, table_id, id)` order. */
function loadDocumentsStatement(
  range: TimestampRange,
  order: Order,
  after: DocumentRow | null,
  limit: number,
): Statement {
  const values: unknown[] = [range.start];
  const conditions = ["ts >= $1"];
  if (range.end !== null) {
    values.push(range.end);
    conditions.push(`ts < $${values.length}`);
  }
  if (after !== null) {
    values.push(after.ts, after.table_id, after.id);
    const n = values.length;
    const op = order === "asc" ? ">" : "<";
    conditions.push(`(ts, table_id, id) ${op} ($${n - 2}, $${n - 1}, $${n})`);
  }
  values.push(limit);
  const dir = order === "asc" ? "ASC" : "DESC";
  return {
    text: `SELECT ${DOCUMENT_COLUMNS} FROM documents
           WHERE ${conditions.join(" AND ")}
           ORDER BY ts ${dir}, table_id ${dir}, id ${dir}
           LIMIT $${values.length}`,
    values,
  };
}

function toDocument(row: DocumentRow): DocumentLogEntry {
  return {
    ts: row.ts,
    tableId: fromBytes(row.table_id),
    id: fromBytes(row.id),
    value: row.json_value,
    prevTs: row.prev_ts,
  };
}

function toScanEntry(indexId: string, row: IndexScanRow): IndexScanEntry {
  if (row.doc_ts === null) {
    throw toPersistenceError(
      "indexScan",
      new Error(
        `index ${indexId} has an entry at ts ${row.ts} for document ` +
          `${fromBytes(row.table_id)}/${fromBytes(row.document_id)}, but that document ` +
          "revision does not exist",
      ),
    );
  }
  return {
    key: joinKey(row.key_prefix, row.key_suffix),
    ts: row.ts,
    document: {
      ts: row.doc_ts,
      tableId: fromBytes(row.table_id),
      id: fromBytes(row.document_id),
      value: row.json_value,
      prevTs: row.prev_ts,
    },
  };
}
