/**
 * The SQLite layout of the log and its migrations.
 *
 * - `documents`: one row per document revision, clustered by `(table_id, id, ts)` so a snapshot
 *   read of one document is a single b-tree seek that finds the JSON in place; `documents_by_ts`
 *   serves `loadDocuments` and `maxTs`.
 * - `indexes`: one row per index entry revision, clustered by `(index_id, key, ts)`, so a range
 *   scan walks one contiguous stretch of the b-tree. `key` is a BLOB, which SQLite orders with
 *   `memcmp` (shorter first on a tie), the unsigned byte order the engine relies on.
 * - `persistence_globals`: JSON text by key.
 * - `persistence_schema`: the layout version, one row.
 *
 * All three data tables are `WITHOUT ROWID`: their primary keys are what every query seeks by, and
 * a rowid table would add a second lookup. Timestamps are INTEGER (i64), enough for u64
 * nanoseconds until the year 2262.
 */
import { BackendError } from "../../errors/backend-error.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/**
 * The migrations, in order; migration `i` moves the layout from version `i` to `i + 1`. Append
 * new ones, never edit shipped ones.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE documents (
    table_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    prev_ts INTEGER,
    deleted INTEGER NOT NULL,
    json_value TEXT,
    PRIMARY KEY (table_id, id, ts)
  ) WITHOUT ROWID;
  CREATE INDEX documents_by_ts ON documents (ts, table_id, id);
  CREATE TABLE indexes (
    index_id TEXT NOT NULL,
    key BLOB NOT NULL,
    ts INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    table_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    PRIMARY KEY (index_id, key, ts)
  ) WITHOUT ROWID;
  CREATE TABLE persistence_globals (
    key TEXT NOT NULL PRIMARY KEY,
    json_value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** The layout version this code writes and reads. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to {@link SQLITE_SCHEMA_VERSION} in one transaction (a new file gets the
 * whole layout). Throws when the file was written by a newer Hull.
 */
export function migrateSqliteSchema(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS persistence_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
    );
    const stored = db
      .prepare("SELECT version FROM persistence_schema WHERE id = 1")
      .pluck()
      .get();
    const version = typeof stored === "number" ? stored : 0;
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new BackendError(
        "InternalServerError",
        "UnsupportedStorageVersion",
        `The SQLite database has layout version ${version}, newer than this Hull supports (${SQLITE_SCHEMA_VERSION}); upgrade Hull to open it.`,
      );
    }
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.prepare(
      "INSERT INTO persistence_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
    ).run(SQLITE_SCHEMA_VERSION);
  })();
}
