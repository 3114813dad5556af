/**
 * Index scans on PostgreSQL: for each key in a range, the newest revision at or before the
 * snapshot, in key order, streamed in keyset-paginated batches of one indexed query each (never a
 * query per row).
 *
 * Each batch is `SELECT DISTINCT ON (key_prefix, key_sha256) … ORDER BY key_prefix, key_sha256,
 * ts DESC LIMIT n`, which PostgreSQL 15 answers by walking an index in exactly that order and
 * stopping after `n` keys: `indexes_by_key` `(index_id, key_prefix, key_sha256, ts DESC)` forwards
 * for `asc`, the primary key `(index_id, key_prefix, key_sha256, ts)` backwards for `desc`. (PG 15
 * cannot feed `DISTINCT ON` from an incremental sort, so the order must come from an index, and
 * the `LIMIT` must sit next to the `DISTINCT ON`: tombstones are therefore returned and dropped
 * here.)
 *
 * Key order is `(key_prefix, key_suffix)` (see `postgres-schema.ts`), but the index orders keys
 * that share a whole prefix by their hash. Only keys longer than the prefix can share one, so this
 * module sorts each batch by `(key_prefix, key_suffix)`, and when a full batch ends inside a run of
 * keys sharing a long prefix it reads that whole run with one more query before moving on, so that
 * a run is never split across batches.
 */
import type { KeyInterval, Order, Timestamp } from "../persistence.js";
import { splitKey, toBytes } from "./postgres-keys.js";
import type { PostgresPool, Statement } from "./postgres-pool.js";
import { KEY_PREFIX_BYTES } from "./postgres-schema.js";

/**
 * A bound on whole keys: `suffix: null` stands for every key starting with `prefix` (used to
 * step past a run of long keys), which is only ever excluded.
 */
interface KeyBound {
  readonly prefix: Buffer;
  readonly suffix: Buffer | null;
  readonly inclusive: boolean;
}

export interface KeyRange {
  readonly lower: KeyBound | null;
  readonly upper: KeyBound | null;
}

/** The newest revision of one key; document columns are null for tombstones or a missing row. */
export interface IndexScanRow {
  readonly key_prefix: Buffer;
  readonly key_suffix: Buffer;
  readonly ts: bigint;
  readonly deleted: boolean;
  readonly table_id: Buffer;
  readonly document_id: Buffer;
  readonly doc_ts: bigint | null;
  readonly json_value: string | null;
  readonly prev_ts: bigint | null;
}

/** Options of one {@link scanIndexRows} call. */
export interface IndexScanRequest {
  readonly indexId: string;
  readonly readTs: Timestamp;
  readonly interval: KeyInterval;
  readonly order: Order;
  readonly limit: number | undefined;
  /** Keys in the first batch; later batches double up to `maxBatchRows`. */
  readonly firstBatchRows: number;
  readonly maxBatchRows: number;
}

/** Yields the visible (non-tombstone) newest revisions of the keys in the interval, in order. */
export async function* scanIndexRows(
  pool: PostgresPool,
  request: IndexScanRequest,
): AsyncIterable<IndexScanRow> {
  const { order } = request;
  let range = initialRange(request.interval);
  let remaining = request.limit ?? Number.POSITIVE_INFINITY;
  let batchRows = request.firstBatchRows;
  while (remaining > 0) {
    const limit = Math.min(remaining, batchRows);
    const batch = await queryRows(pool, request, range, null, limit);
    const full = batch.length === limit;
    const lastPrefix = batch.at(-1)?.key_prefix;
    let cursor: KeyBound | null = null;
    let rows = batch;
    if (
      full &&
      lastPrefix !== undefined &&
      lastPrefix.length === KEY_PREFIX_BYTES
    ) {
      // The batch may end inside a run of keys sharing this prefix: read the whole run instead.
      rows = batch.filter((r) => !r.key_prefix.equals(lastPrefix));
      rows.push(...(await queryRows(pool, request, range, lastPrefix, null)));
      cursor = { prefix: lastPrefix, suffix: null, inclusive: false };
    }
    rows.sort(
      order === "asc" ? compareRowKeys : (a, b) => compareRowKeys(b, a),
    );
    for (const row of rows) {
      if (row.deleted) continue;
      yield row;
      remaining -= 1;
      if (remaining === 0) return;
    }
    const last = rows.at(-1);
    if (!full || last === undefined) return;
    cursor ??= {
      prefix: last.key_prefix,
      suffix: last.key_suffix,
      inclusive: false,
    };
    range =
      order === "asc"
        ? { ...range, lower: cursor }
        : { ...range, upper: cursor };
    batchRows = Math.min(batchRows * 2, request.maxBatchRows);
  }
}

function initialRange(interval: KeyInterval): KeyRange {
  const start = splitKey(interval.start);
  const end = interval.end === null ? null : splitKey(interval.end);
  return {
    lower: start.prefix.length === 0 ? null : { ...start, inclusive: true },
    upper: end === null ? null : { ...end, inclusive: false },
  };
}

async function queryRows(
  pool: PostgresPool,
  request: IndexScanRequest,
  range: KeyRange,
  prefix: Buffer | null,
  limit: number | null,
): Promise<IndexScanRow[]> {
  const statement = buildIndexScanStatement(request, range, prefix, limit);
  return (await pool.query<IndexScanRow>("indexScan", statement)).rows;
}

/**
 * One batch: the newest revision at `readTs` of the first `limit` keys of `range` (all of them
 * when null), restricted to keys starting with `prefix` when given. The defaults give the first
 * batch of `request` (what tests inspect with `EXPLAIN`).
 */
export function buildIndexScanStatement(
  request: IndexScanRequest,
  range: KeyRange = initialRange(request.interval),
  prefix: Buffer | null = null,
  limit: number | null = request.firstBatchRows,
): Statement {
  const values: unknown[] = [toBytes(request.indexId), request.readTs];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions = ["index_id = $1", "ts <= $2"];
  if (range.lower !== null)
    conditions.push(...boundConditions(range.lower, ">", param));
  if (range.upper !== null)
    conditions.push(...boundConditions(range.upper, "<", param));
  if (prefix !== null) conditions.push(`key_prefix = ${param(prefix)}`);
  const dir = request.order === "asc" ? "ASC" : "DESC";
  const text = `
    SELECT i.key_prefix, i.key_suffix, i.ts, i.deleted, i.table_id, i.document_id,
           d.ts AS doc_ts, d.json_value, d.prev_ts
    FROM (
      SELECT DISTINCT ON (key_prefix, key_sha256)
             key_prefix, key_sha256, key_suffix, ts, deleted, table_id, document_id
      FROM indexes
      WHERE ${conditions.join(" AND ")}
      ORDER BY key_prefix ${dir}, key_sha256 ${dir}, ts DESC
      ${limit === null ? "" : `LIMIT ${param(limit)}`}
    ) i
    LEFT JOIN documents d
      ON NOT i.deleted AND d.table_id = i.table_id AND d.id = i.document_id AND d.ts = i.ts`;
  return { text, values };
}

/**
 * SQL conditions for keys beyond `bound` (`op` is `>` for a lower bound, `<` for an upper one):
 * the prefix comparison is what the index serves; the suffix decides among equal prefixes.
 */
function boundConditions(
  bound: KeyBound,
  op: ">" | "<",
  param: (value: unknown) => string,
): string[] {
  const p = param(bound.prefix);
  if (bound.suffix === null) return [`key_prefix ${op} ${p}`];
  const s = param(bound.suffix);
  const suffixOp = bound.inclusive ? `${op}=` : op;
  return [
    `key_prefix ${op}= ${p}`,
    `(key_prefix ${op} ${p} OR key_suffix ${suffixOp} ${s})`,
  ];
}

function compareRowKeys(a: IndexScanRow, b: IndexScanRow): number {
  return (
    Buffer.compare(a.key_prefix, b.key_prefix) ||
    Buffer.compare(a.key_suffix, b.key_suffix)
  );
}
