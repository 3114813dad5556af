/**
 * Tail reads of the shared log: every document revision and index entry after a known ts, as
 * `LogTail`. Used under the append lock and by followers without it (see `postgres-shared-log.ts`).
 */
import type {
  DocumentLogEntry,
  IndexEntry,
  LogTail,
  Timestamp,
} from "../persistence.js";
import { fromBytes, joinKey } from "./postgres-keys.js";

export interface DocumentRow {
  readonly table_id: Buffer;
  readonly id: Buffer;
  readonly ts: bigint;
  readonly prev_ts: bigint | null;
  readonly json_value: string | null;
}

export interface IndexRow {
  readonly index_id: Buffer;
  readonly key_prefix: Buffer;
  readonly key_suffix: Buffer;
  readonly ts: bigint;
  readonly deleted: boolean;
  readonly table_id: Buffer;
  readonly document_id: Buffer;
}

/**
 * The documents with `ts > knownTs`, in ts order. `ts` is a bigint we format ourselves, so inlining
 * it in SQL text is safe. The upper bound never filters anything out; it is there for the planner:
 * before `ANALYZE` has seen the table (a young deployment), it guesses that `ts > x` keeps a third
 * of the rows and scans the whole table, on every append. A range with both ends is estimated as
 * narrow, so it walks `documents_by_ts`, and `max(ts)` is one descent of that index.
 */
export function documentsAfterSql(knownTs: Timestamp): string {
  return `SELECT table_id, id, ts, prev_ts, json_value FROM documents
          WHERE ts > ${knownTs.toString()} AND ts <= (SELECT max(ts) FROM documents)
          ORDER BY ts, table_id, id`;
}

/**
 * Index entries in `(knownTs, upToTs]`, `upToTs` being the newest document read: every entry has a
 * document revision at its ts, and the closed range keeps the plan on `indexes_by_ts` (see above).
 */
export function indexesSql(knownTs: Timestamp, upToTs: Timestamp): string {
  return `SELECT index_id, key_prefix, key_suffix, ts, deleted, table_id, document_id
          FROM indexes WHERE ts > ${knownTs.toString()} AND ts <= ${upToTs.toString()}
          ORDER BY ts`;
}

export function toTail(
  documentRows: readonly DocumentRow[],
  indexRows: readonly IndexRow[],
): LogTail {
  const documents: DocumentLogEntry[] = documentRows.map((row) => ({
    ts: row.ts,
    tableId: fromBytes(row.table_id),
    id: fromBytes(row.id),
    value: row.json_value,
    prevTs: row.prev_ts,
  }));
  const indexes: IndexEntry[] = indexRows.map((row) => ({
    indexId: fromBytes(row.index_id),
    key: joinKey(row.key_prefix, row.key_suffix),
    ts: row.ts,
    deleted: row.deleted,
    tableId: fromBytes(row.table_id),
    docId: fromBytes(row.document_id),
  }));
  return { documents, indexes };
}
