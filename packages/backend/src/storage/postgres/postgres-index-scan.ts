/**
 * The SQL of one batch of an index scan: one indexed query that picks, per key, the newest
 * revision at or before the snapshot (`DISTINCT ON`), drops tombstones, joins the document
 * revision, and returns the batch in key order. Batches continue from the last key returned
 * (keyset pagination), so a scan costs one round trip per batch, never one per row.
 *
 * Keys are split into `(key_prefix, key_suffix)` (see `postgres-schema.ts`); only `key_prefix` is
 * indexed. A bound on the whole key becomes a range condition on `key_prefix`, which the index
 * serves, refined by the suffix for keys whose prefixes tie. Within one prefix the `DISTINCT ON`
 * groups come out in `key_sha256` order, so the outer query re-sorts by `(key_prefix, key_suffix)`;
 * PostgreSQL does that as an incremental sort inside each run of equal prefixes, which are single
 * keys except for keys longer than the prefix.
 */
import type { Order, Timestamp } from "../persistence.js";
import { toBytes, type SplitKey } from "./postgres-keys.js";
import type { Statement } from "./postgres-pool.js";

/** A bound on whole keys. Upper bounds are always exclusive (interval ends and `desc` cursors). */
export interface KeyBound {
  readonly key: SplitKey;
  readonly inclusive: boolean;
}

/** One batch: keys within `(lower, upper)`, as of `readTs`, at most `limit` rows. */
export interface IndexScanBatch {
  readonly indexId: string;
  readonly readTs: Timestamp;
  readonly lower: KeyBound | null;
  readonly upper: SplitKey | null;
  readonly order: Order;
  readonly limit: number;
}

/** A row of {@link buildIndexScanStatement}; the document columns are null when it is missing. */
export interface IndexScanRow {
  readonly key_prefix: Buffer;
  readonly key_suffix: Buffer;
  readonly ts: bigint;
  readonly table_id: Buffer;
  readonly document_id: Buffer;
  readonly doc_ts: bigint | null;
  readonly json_value: string | null;
  readonly prev_ts: bigint | null;
}

/** Builds the statement for one batch. */
export function buildIndexScanStatement(batch: IndexScanBatch): Statement {
  const values: unknown[] = [toBytes(batch.indexId), batch.readTs];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions = ["index_id = $1", "ts <= $2"];
  if (batch.lower !== null && batch.lower.key.prefix.length > 0) {
    const p = param(batch.lower.key.prefix);
    const s = param(batch.lower.key.suffix);
    const op = batch.lower.inclusive ? ">=" : ">";
    conditions.push(
      `key_prefix >= ${p}`,
      `(key_prefix > ${p} OR key_suffix ${op} ${s})`,
    );
  }
  if (batch.upper !== null) {
    const p = param(batch.upper.prefix);
    const s = param(batch.upper.suffix);
    conditions.push(
      `key_prefix <= ${p}`,
      `(key_prefix < ${p} OR key_suffix < ${s})`,
    );
  }
  const dir = batch.order === "asc" ? "ASC" : "DESC";
  const text = `
    SELECT i.key_prefix, i.key_suffix, i.ts, i.table_id, i.document_id,
           d.ts AS doc_ts, d.json_value, d.prev_ts
    FROM (
      SELECT DISTINCT ON (key_prefix, key_sha256)
             key_prefix, key_suffix, key_sha256, ts, deleted, table_id, document_id
      FROM indexes
      WHERE ${conditions.join(" AND ")}
      ORDER BY key_prefix ${dir}, key_sha256 ${dir}, ts DESC
    ) i
    LEFT JOIN documents d
      ON d.table_id = i.table_id AND d.id = i.document_id AND d.ts = i.ts
    WHERE NOT i.deleted
    ORDER BY i.key_prefix ${dir}, i.key_suffix ${dir}
    LIMIT ${param(batch.limit)}`;
  return { text, values };
}
