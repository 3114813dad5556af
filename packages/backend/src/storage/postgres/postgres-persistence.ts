/**
 * `Persistence` on PostgreSQL with `pg`: the same versioned log as the other drivers, in the
 * tables of `postgres-schema.ts`, created and migrated on first start.
 *
 * Each `write()` is one transaction of multi-row `INSERT … SELECT * FROM UNNEST(…)` statements
 * (see `postgres-write.ts`; a commit of up to 1,024 rows per table is a single statement), so it
 * lands entirely or not at all, and is durable when it resolves (PostgreSQL's `synchronous_commit`
 * decides how durable; the default waits for the WAL flush). Reads run on any pooled connection,
 * concurrently with writes.
 *
 * Connection loss: requests in flight reject with a retryable `OperationalInternalServerError`
 * whose `shortMsg` is `DatabaseConnectionLost`; broken connections are discarded and the pool
 * opens new ones on the next request; an interrupted transaction leaves nothing behind. When the
 * connection is lost while a commit may already have happened, the message says so: the caller
 * must re-read before retrying that write.
 */
import type { Logger } from "../../shared/logger.js";
import { silentLogger } from "../../shared/logger.js";
import type {
  ConflictStrategy,
  JsonValue,
  Persistence,
  PersistenceCapabilities,
  PersistenceReader,
  PersistenceWrite,
  SharedLog,
  Timestamp,
} from "../persistence.js";
import { toBytes } from "./postgres-keys.js";
import { PostgresPool } from "./postgres-pool.js";
import { PostgresReader } from "./postgres-reader.js";
import { migrate } from "./postgres-schema.js";
import { PostgresSharedLog } from "./postgres-shared-log.js";
import { buildWriteStatements, pruneStatements } from "./postgres-write.js";

/** Options of {@link createPostgresPersistence}. */
export interface PostgresPersistenceOptions {
  /** `postgres://user:password@host:port/database`; the database must exist. */
  readonly url: string;
  /**
   * Largest number of pooled connections (default 16); the shared log opens two more of its own,
   * one for appends and one for `LISTEN`.
   */
  readonly maxConnections?: number | undefined;
  /** Shown in `pg_stat_activity` (default `hull`). */
  readonly applicationName?: string | undefined;
  readonly logger?: Logger | undefined;
}

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
  const applicationName = options.applicationName ?? "hull";
  const pool = new PostgresPool({
    url: options.url,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    applicationName,
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
  return new PostgresPersistence(
    pool,
    new PostgresSharedLog({ pool, url: options.url, applicationName, logger }),
  );
}

export class PostgresPersistence implements Persistence, AsyncDisposable {
  readonly capabilities: PersistenceCapabilities = {
    supportsConcurrentReaders: true,
  };
  readonly #pool: PostgresPool;
  readonly #reader: PostgresReader;
  readonly #sharedLog: PostgresSharedLog;

  /** Use {@link createPostgresPersistence}, which prepares the schema first. */
  constructor(pool: PostgresPool, sharedLog: PostgresSharedLog) {
    this.#pool = pool;
    this.#reader = new PostgresReader(pool);
    this.#sharedLog = sharedLog;
  }

  /** Several processes may append to this log (see `postgres-shared-log.ts`). */
  get sharedLog(): SharedLog {
    return this.#sharedLog;
  }

  reader(): PersistenceReader {
    return this.#reader;
  }

  async write(
    write: PersistenceWrite,
    conflict: ConflictStrategy,
  ): Promise<void> {
    const statements = buildWriteStatements(write, conflict);
    const [only] = statements;
    if (statements.length === 1 && only !== undefined) {
      // One statement is its own transaction: a commit in one round trip instead of four.
      await this.#pool.writeStatement("write", only);
    } else if (statements.length > 1) {
      await this.#pool.transaction("write", async (query) => {
        for (const statement of statements) await query(statement);
      });
    }
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
    return this.#pool.transaction("pruneBefore", async (query) => {
      const [documents, indexes] = pruneStatements(minSnapshotTs);
      const deletedDocuments = await query(documents);
      const deletedIndexes = await query(indexes);
      return {
        documents: deletedDocuments.rowCount ?? 0,
        indexes: deletedIndexes.rowCount ?? 0,
      };
    });
  }

  async close(): Promise<void> {
    await this.#sharedLog.close();
    await this.#pool.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
