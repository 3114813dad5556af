/**
 * The PostgreSQL tables of `PostgresPersistence` and their migrations.
 *
 * Layout (after convex-backend's `crates/postgres`, see reference/convex-internals.md §1.2):
 * - `documents`: one row per document revision; a NULL `json_value` is a tombstone.
 * - `indexes`: one row per index-entry revision. PostgreSQL caps a btree entry at about 2.7 KB, so
 *   a key is stored split: its first {@link KEY_PREFIX_BYTES} bytes in `key_prefix` (indexed), the
 *   rest in `key_suffix` (empty for short keys, never indexed), and the SHA-256 of the whole key in
 *   `key_sha256`, which stands in for the suffix in the primary key. The primary key
 *   `(index_id, key_prefix, key_sha256, ts)` and `indexes_by_key`, the same with `ts DESC`, give
 *   index scans their two directions (see `postgres-index-scan.ts`). Comparing `(key_prefix, key_suffix)`
 *   lexicographically is exactly comparing whole keys bytewise, because every key is split at the
 *   same offset.
 * - `persistence_globals`: small JSON values by key.
 * - `schema_version`: one row, the number of the last migration applied.
 *
 * Identifiers (table, document and index ids, global keys) are stored as their UTF-8 bytes in
 * `BYTEA` columns: they are opaque strings that may hold any character, NUL included (which `TEXT`
 * refuses), and bytea compares bytewise whatever the database's locale is.
 * Migrations run once, in order, each in the transaction that bumps the version, under an advisory
 * lock so that processes starting together do not race. Version 2 indexes `indexes` by `ts`, for
 * the tail reads of `postgres-shared-log.ts`.
 */
import type pg from "pg";
import { BackendError } from "../../errors/backend-error.js";

/**
 * Bytes of an index key kept in the indexed `key_prefix` column. With the other indexed columns
 * this stays under PostgreSQL's btree limit (a third of an 8 KB page, about 2,700 bytes), the
 * split convex-backend uses.
 */
export const KEY_PREFIX_BYTES = 2500;

/** A schema change: statements run in one transaction together with the version bump. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

/** Every migration, in order; append only, never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "documents, indexes and globals",
    statements: [
      `CREATE TABLE documents (
        table_id BYTEA NOT NULL,
        id BYTEA NOT NULL,
        ts BIGINT NOT NULL,
        prev_ts BIGINT,
        json_value TEXT,
        PRIMARY KEY (table_id, id, ts)
      )`,
      `CREATE INDEX documents_by_ts ON documents (ts, table_id, id)`,
      `CREATE TABLE indexes (
        index_id BYTEA NOT NULL,
        key_sha256 BYTEA NOT NULL,
        ts BIGINT NOT NULL,
        key_prefix BYTEA NOT NULL,
        key_suffix BYTEA NOT NULL,
        deleted BOOLEAN NOT NULL,
        table_id BYTEA NOT NULL,
        document_id BYTEA NOT NULL,
        PRIMARY KEY (index_id, key_prefix, key_sha256, ts)
      )`,
      `CREATE INDEX indexes_by_key ON indexes (index_id, key_prefix, key_sha256, ts DESC)`,
      `CREATE TABLE persistence_globals (
        key BYTEA PRIMARY KEY,
        json_value TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description:
      "index entries by ts, for following the log from several processes",
    statements: [`CREATE INDEX indexes_by_ts ON indexes (ts)`],
  },
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Arbitrary constant naming the advisory lock that serialises migrations ("hull" in ASCII). */
const MIGRATION_LOCK_ID = 0x68756c6c;

/**
 * Brings the database up to {@link SCHEMA_VERSION}, creating the tables on first start. Idempotent
 * and safe to run from several processes at once. Throws when the database was migrated by a newer
 * Hull (its version is above ours).
 */
export async function migrate(
  client: pg.ClientBase,
): Promise<{ from: number; to: number }> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_version (
        id INT PRIMARY KEY CHECK (id = 1),
        version INT NOT NULL
      )`,
    );
    const from = await readVersion(client);
    if (from > SCHEMA_VERSION) throw newerSchemaError(from);
    for (const migration of MIGRATIONS.slice(from)) {
      for (const statement of migration.statements)
        await client.query(statement);
    }
    await client.query(
      `INSERT INTO schema_version (id, version) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`,
      [SCHEMA_VERSION],
    );
    await client.query("COMMIT");
    return { from, to: SCHEMA_VERSION };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

async function readVersion(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ version: number }>(
    "SELECT version FROM schema_version WHERE id = 1",
  );
  return result.rows[0]?.version ?? 0;
}

function newerSchemaError(found: number): BackendError {
  return new BackendError(
    "InternalServerError",
    "PostgresSchemaTooNew",
    `The PostgreSQL database has schema version ${found}, but this Hull knows versions up to ` +
      `${SCHEMA_VERSION}. Upgrade Hull, or point it at another database.`,
  );
}
