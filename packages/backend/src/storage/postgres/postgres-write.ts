/**
 * The SQL that changes the log: appends as multi-row `INSERT … SELECT * FROM UNNEST(…)` (one
 * array parameter per column, in PostgreSQL's binary array format, so a statement's text does not
 * grow with its rows, and each variant is prepared once per connection under its name), and
 * pruning.
 */
import type {
  ConflictStrategy,
  DocumentLogEntry,
  IndexEntry,
  PersistenceWrite,
  Timestamp,
} from "../persistence.js";
import {
  boolArray,
  byteaArray,
  int8Array,
  textArray,
  utf8ByteaArray,
} from "./postgres-binary-array.js";
import { KEY_PREFIX_BYTES } from "./postgres-schema.js";
import type { Statement } from "./postgres-pool.js";

/**
 * Rows per INSERT: large enough to amortise round trips (convex-backend uses the same number).
 */
export const WRITE_CHUNK_ROWS = 1024;

/**
 * Payload bytes per INSERT, counted as document JSON characters and key bytes: keeps a statement's
 * parameters to a few megabytes (PostgreSQL refuses any single value over 1 GB, and a chunk of
 * 1,024 documents of 1 MiB would be one).
 */
export const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * The statements of one `write()`, to run in one transaction. A write whose rows fit in one chunk
 * per table becomes a single statement (the document insert in a `WITH`), which PostgreSQL runs
 * as its own transaction: a commit costs one round trip. Empty writes need no statement.
 */
export function buildWriteStatements(
  write: PersistenceWrite,
  conflict: ConflictStrategy,
): Statement[] {
  const documents = chunks(write.documents, (d) => d.value?.length ?? 0);
  const indexes = chunks(write.indexes, (e) => e.key.byteLength);
  const [onlyDocuments] = documents;
  const [onlyIndexes] = indexes;
  if (
    documents.length === 1 &&
    indexes.length === 1 &&
    onlyDocuments &&
    onlyIndexes
  ) {
    const docs = insertDocuments(onlyDocuments, conflict);
    const idx = insertIndexes(onlyIndexes, conflict, docs.values?.length ?? 0);
    return [
      {
        text: `WITH inserted_documents AS (${docs.text}) ${idx.text}`,
        values: [...(docs.values ?? []), ...(idx.values ?? [])],
        name: `hull_insert_both_${conflict}`,
      },
    ];
  }
  return [
    ...documents.map((rows) => insertDocuments(rows, conflict)),
    ...indexes.map((rows) => insertIndexes(rows, conflict, 0)),
  ];
}

/** Splits `rows` into chunks of at most {@link WRITE_CHUNK_ROWS} rows and about {@link WRITE_CHUNK_BYTES}. */
function chunks<T>(
  rows: readonly T[],
  size: (row: T) => number,
): (readonly T[])[] {
  const out: (readonly T[])[] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = size(row);
    if (
      chunk.length === WRITE_CHUNK_ROWS ||
      (chunk.length > 0 && bytes + rowBytes > WRITE_CHUNK_BYTES)
    ) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += rowBytes;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

function insertDocuments(
  rows: readonly DocumentLogEntry[],
  conflict: ConflictStrategy,
): Statement {
  const onConflict =
    conflict === "Overwrite"
      ? `ON CONFLICT (table_id, id, ts) DO UPDATE
         SET prev_ts = EXCLUDED.prev_ts, json_value = EXCLUDED.json_value`
      : "";
  return {
    name: `hull_insert_documents_${conflict}`,
    text: `INSERT INTO documents (table_id, id, ts, prev_ts, json_value)
           SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[])
           ${onConflict}`,
    values: [
      utf8ByteaArray(rows.map((r) => r.tableId)),
      utf8ByteaArray(rows.map((r) => r.id)),
      int8Array(rows.map((r) => r.ts)),
      int8Array(rows.map((r) => r.prevTs)),
      textArray(rows.map((r) => r.value)),
    ],
  };
}

/**
 * `offset`: how many parameters precede this statement's (when it is combined with another). The
 * server splits each key and hashes it (see `postgres-schema.ts`): `sha256()` and `substr()` in C
 * cost less than a hash object and two buffers per key in JavaScript, on the commit's critical
 * path either way.
 */
function insertIndexes(
  rows: readonly IndexEntry[],
  conflict: ConflictStrategy,
  offset: number,
): Statement {
  const p = (n: number): string => `$${offset + n}`;
  const onConflict =
    conflict === "Overwrite"
      ? `ON CONFLICT (index_id, key_prefix, key_sha256, ts) DO UPDATE
         SET key_suffix = EXCLUDED.key_suffix, deleted = EXCLUDED.deleted,
             table_id = EXCLUDED.table_id, document_id = EXCLUDED.document_id`
      : "";
  return {
    name: `hull_insert_indexes_${conflict}_${offset}`,
    text: `INSERT INTO indexes
             (index_id, key_sha256, ts, key_prefix, key_suffix, deleted, table_id, document_id)
           SELECT index_id, sha256(key), ts, substr(key, 1, ${KEY_PREFIX_BYTES}),
                  substr(key, ${KEY_PREFIX_BYTES + 1}), deleted, table_id, document_id
           FROM UNNEST(${p(1)}::bytea[], ${p(2)}::bytea[], ${p(3)}::bigint[], ${p(4)}::boolean[],
                       ${p(5)}::bytea[], ${p(6)}::bytea[])
                AS r(index_id, key, ts, deleted, table_id, document_id)
           ${onConflict}`,
    values: [
      utf8ByteaArray(rows.map((r) => r.indexId)),
      byteaArray(rows.map((r) => r.key)),
      int8Array(rows.map((r) => r.ts)),
      boolArray(rows.map((r) => r.deleted)),
      utf8ByteaArray(rows.map((r) => r.tableId)),
      utf8ByteaArray(rows.map((r) => r.docId)),
    ],
  };
}

/**
 * The two deletes of `pruneBefore` (documents, then index entries), to run in one transaction:
 * per document and per index key, every revision older than the newest one at `minSnapshotTs`,
 * and that newest one too when it is a tombstone.
 */
export function pruneStatements(
  minSnapshotTs: Timestamp,
): [Statement, Statement] {
  return [
    {
      text: `DELETE FROM documents d
             USING (SELECT table_id, id, max(ts) AS ts FROM documents
                    WHERE ts <= $1 GROUP BY table_id, id) newest
             WHERE d.table_id = newest.table_id AND d.id = newest.id
               AND (d.ts < newest.ts OR (d.ts = newest.ts AND d.json_value IS NULL))`,
      values: [minSnapshotTs],
    },
    {
      text: `DELETE FROM indexes i
             USING (SELECT index_id, key_prefix, key_sha256, max(ts) AS ts FROM indexes
                    WHERE ts <= $1 GROUP BY index_id, key_prefix, key_sha256) newest
             WHERE i.index_id = newest.index_id AND i.key_prefix = newest.key_prefix
               AND i.key_sha256 = newest.key_sha256
               AND (i.ts < newest.ts OR (i.ts = newest.ts AND i.deleted))`,
      values: [minSnapshotTs],
    },
  ];
}
