/**
 * `Persistence` on PostgreSQL with `pg`: the same versioned log as the other drivers, in the
 * tables of `postgres-schema.ts`, created and migrated on first start.
 *
 * Each `write()` is one transaction of multi-row `INSERT … SELECT * FROM UNNEST(…)` statements
 * (chunked), so it lands entirely or not at all, and is durable when it resolves (PostgreSQL's
 * `synchronous_commit` decides how durable; the default waits for the WAL flush). Reads run on any
 * pooled connection, concurrently with writes.
 *
 * Connection loss: requests in flight reject with a retryable `OperationalInternalServerError`
 * whose `shortMsg` is `DatabaseConnectionLost`; broken connections are discarded and the pool
 * opens new ones on the next request; an interrupted transaction leaves nothing behind.
 */
import type { Logger } from "../../shared/logger.js";
import { silentLogger } from "../../shared/logger.js";
import type {
  ConflictStrategy,
  DocumentLogEntry,
  IndexEntry,
  JsonValue,
  Persistence,
  PersistenceCapabilities,
  PersistenceReader,
  PersistenceWrite,
  Timestamp,
} from "../persistence.js";
import { toBytes, toStoredKey } from "./postgres-keys.js";
import {
  PostgresPool,
  type Statement,
  type TransactionQuery,
} from "./postgres-pool.js";
import { PostgresReader } from "./postgres-reader.js";
import { migrate } from "./postgres-schema.js";

/** Options of {@link createPostgresPersistence}. */
export interface PostgresPersistenceOptions {
  /** `postgres://user:password@host:port/database`; the database must exist. */
  readonly url: string;
  /** Largest number of open connections (default 16). */
  readonly maxConnections?: number | undefined;
  /** Shown in `pg_stat_activity` (default `hull`). */
  readonly applicationName?: string | undefined;
  readonly logger?: Logger | undefined;
}

/** Rows per INSERT statement: big enough to amortise round trips, small enough to parse fast. */
const WRITE_CHUNK_ROWS = 1024;

/** Enough for one committer plus concurrent readers without crowding a small server. */
const DEFAULT_MAX_CONNECTIONS = 16;

/**
 * Connects to the database at `options.url`, creates or migrates the tables, and returns a ready
 * persistence. Throws a `BackendError` when the database cannot be reached or has a newer schema.
 */
export async function createPostgresPersistence(
  options: PostgresPersistenceOptions,
): Promise<PostgresPersistence> {
  const logger = options.logger ?? silentLogger;
  const pool = new PostgresPool({
    url: options.url,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    applicationName: options.applicationName ?? "hull",
    logger,
  });
  try {
    const { from, to } = await pool.withClient("migrate", migrate);
    if (from !== to)
      logger.info("migrated the PostgreSQL schema", { from, to });
  } catch (e) {
    await pool.end();
    throw e;
  }
  return new PostgresPersistence(pool);
}

export class PostgresPersistence implements Persistence, AsyncDisposable {
  readonly capabilities: PersistenceCapabilities = {
    supportsConcurrentReaders: true,
  };
  readonly #pool: PostgresPool;
  readonly #reader: PostgresReader;

  /** Use {@link createPostgresPersistence}, which prepares the schema first. */
  constructor(pool: PostgresPool) {
    this.#pool = pool;
    this.#reader = new PostgresReader(pool);
  }

  reader(): PersistenceReader {
    return this.#reader;
  }

  async write(
    write: PersistenceWrite,
    conflict: ConflictStrategy,
  ): Promise<void> {
    if (write.documents.length === 0 && write.indexes.length === 0) return;
    await this.#pool.transaction("write", async (query) => {
      for (const rows of chunks(write.documents)) {
        await query(insertDocumentsStatement(rows, conflict));
      }
      for (const rows of chunks(write.indexes)) {
        await query(insertIndexesStatement(rows, conflict));
      }
    });
  }

  async writeGlobal(key: string, value: JsonValue): Promise<void> {
    await this.#pool.query("writeGlobal", {
      text: `INSERT INTO persistence_globals (key, json_value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET json_value = EXCLUDED.json_value`,
      values: [toBytes(key), JSON.stringify(value)],
    });
  }

  pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }> {
    return this.#pool.transaction("pruneBefore", (query) =>
      prune(query, minSnapshotTs),
    );
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function* chunks<T>(rows: readonly T[]): Iterable<readonly T[]> {
  for (let i = 0; i < rows.length; i += WRITE_CHUNK_ROWS) {
    yield rows.slice(i, i + WRITE_CHUNK_ROWS);
  }
}

function insertDocumentsStatement(
  rows: readonly DocumentLogEntry[],
  conflict: ConflictStrategy,
): Statement {
  const onConflict =
    conflict === "Overwrite"
      ? `ON CONFLICT (table_id, id, ts) DO UPDATE
         SET prev_ts = EXCLUDED.prev_ts, json_value = EXCLUDED.json_value`
      : "";
  return {
    text: `INSERT INTO documents (table_id, id, ts, prev_ts, json_value)
           SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[])
           ${onConflict}`,
    values: [
      rows.map((r) => toBytes(r.tableId)),
      rows.map((r) => toBytes(r.id)),
      rows.map((r) => r.ts),
      rows.map((r) => r.prevTs),
      rows.map((r) => r.value),
    ],
  };
}

function insertIndexesStatement(
  rows: readonly IndexEntry[],
  conflict: ConflictStrategy,
): Statement {
  const keys = rows.map((r) => toStoredKey(r.key));
  const onConflict =
    conflict === "Overwrite"
      ? `ON CONFLICT (index_id, key_prefix, key_sha256, ts) DO UPDATE
         SET key_suffix = EXCLUDED.key_suffix,
             deleted = EXCLUDED.deleted, table_id = EXCLUDED.table_id,
             document_id = EXCLUDED.document_id`
      : "";
  return {
    text: `INSERT INTO indexes
             (index_id, key_sha256, ts, key_prefix, key_suffix, deleted, table_id, document_id)
           SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[], $5::bytea[],
                                $6::boolean[], $7::bytea[], $8::bytea[])
           ${onConflict}`,
    values: [
      rows.map((r) => toBytes(r.indexId)),
      keys.map((k) => k.sha256),
      rows.map((r) => r.ts),
      keys.map((k) => k.prefix),
      keys.map((k) => k.suffix),
      rows.map((r) => r.deleted),
      rows.map((r) => toBytes(r.tableId)),
      rows.map((r) => toBytes(r.docId)),
    ],
  };
}

/**
 * Deletes, per document and per index key, every revision older than the newest one at
 * `minSnapshotTs`, and that newest one too when it is a tombstone.
 */
async function prune(
  query: TransactionQuery,
  minSnapshotTs: Timestamp,
): Promise<{ documents: number; indexes: number }> {
  const documents = await query({
    text: `DELETE FROM documents d
           USING (SELECT table_id, id, max(ts) AS ts FROM documents
                  WHERE ts <= $1 GROUP BY table_id, id) newest
           WHERE d.table_id = newest.table_id AND d.id = newest.id
             AND (d.ts < newest.ts OR (d.ts = newest.ts AND d.json_value IS NULL))`,
    values: [minSnapshotTs],
  });
  const indexes = await query({
    text: `DELETE FROM indexes i
           USING (SELECT index_id, key_sha256, max(ts) AS ts FROM indexes
                  WHERE ts <= $1 GROUP BY index_id, key_sha256) newest
           WHERE i.index_id = newest.index_id AND i.key_sha256 = newest.key_sha256
             AND (i.ts < newest.ts OR (i.ts = newest.ts AND i.deleted))`,
    values: [minSnapshotTs],
  });
  return { documents: documents.rowCount ?? 0, indexes: indexes.rowCount ?? 0 };
}
