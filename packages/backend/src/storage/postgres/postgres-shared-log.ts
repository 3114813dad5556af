/**
 * `SharedLog` on PostgreSQL: several Hull processes append to one log.
 *
 * An append is one transaction that first takes a transaction-scoped advisory lock
 * ({@link APPEND_LOCK_ID}), so appends are serialized across every process; under the lock it reads
 * the rows other processes appended since the caller's last known ts, lets the caller build its
 * rows (the engine checks OCC and picks timestamps above the tail there), inserts them, sends a
 * `NOTIFY` and commits. PostgreSQL makes a transaction visible before it releases its locks, so
 * appends become visible in lock order, which is timestamp order: a reader always sees a prefix of
 * the log. Round trips per append: `BEGIN` + lock + tail read in one, the index tail only when
 * another process appended, the insert, `NOTIFY` + `COMMIT` in one.
 *
 * Followers learn about appends through `LISTEN` on a dedicated connection (reconnected when it
 * drops); the engine polls as well, so a lost notification only delays a follower.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "../../shared/logger.js";
import type {
  LogTail,
  PersistenceWrite,
  SharedLog,
  Timestamp,
} from "../persistence.js";
import {
  commitOutcomeUnknown,
  isConnectionLoss,
  toPostgresError,
} from "./postgres-errors.js";
import {
  documentsAfterSql,
  indexesSql,
  toTail,
  type DocumentRow,
  type IndexRow,
} from "./postgres-log-tail.js";
import type { PostgresPool } from "./postgres-pool.js";
import { buildWriteStatements } from "./postgres-write.js";

/** The advisory lock serializing appends ("hulm"; migrations use "hull"). */
export const APPEND_LOCK_ID = 0x68756c6d;

/** The `NOTIFY` channel; the payload is the appending process's origin id. */
export const APPEND_CHANNEL = "hull_log_append";

/** Delay before re-opening a dropped `LISTEN` connection. */
const LISTEN_RETRY_MS = 1000;

/** Options of {@link PostgresSharedLog}. */
export interface PostgresSharedLogOptions {
  readonly pool: PostgresPool;
  /** For the dedicated `LISTEN` connection. */
  readonly url: string;
  readonly logger: Logger;
}

export class PostgresSharedLog implements SharedLog {
  readonly #pool: PostgresPool;
  readonly #url: string;
  readonly #logger: Logger;
  /** Identifies this process's notifications, which it ignores. */
  readonly #origin = randomUUID();
  readonly #listeners = new Set<() => void>();
  #listenClient: pg.Client | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: PostgresSharedLogOptions) {
    this.#pool = options.pool;
    this.#url = options.url;
    this.#logger = options.logger;
  }

  append(
    knownTs: Timestamp,
    build: (tail: LogTail) => PersistenceWrite,
  ): Promise<void> {
    return this.#pool.withClient("append", async (client) => {
      const first = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_ID}); ${documentsAfterSql(knownTs)}`,
      )) as unknown as pg.QueryResult<DocumentRow>[];
      try {
        const documentRows = first[2]?.rows ?? [];
        const newest = documentRows[documentRows.length - 1];
        const indexRows =
          newest === undefined
            ? []
            : (await client.query<IndexRow>(indexesSql(knownTs, newest.ts)))
                .rows;
        const write = build(toTail(documentRows, indexRows));
        if (write.documents.length === 0 && write.indexes.length === 0) {
          await client.query("COMMIT");
          return;
        }
        for (const statement of buildWriteStatements(write, "Error")) {
          const config: pg.QueryConfig = { text: statement.text };
          if (statement.values !== undefined)
            config.values = [...statement.values];
          if (statement.name !== undefined) config.name = statement.name;
          await client.query(config);
        }
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw toPostgresError("append", null, e);
      }
      try {
        await client.query(
          `NOTIFY ${APPEND_CHANNEL}, '${this.#origin}'; COMMIT`,
        );
      } catch (e) {
        throw isConnectionLoss(e)
          ? commitOutcomeUnknown(e)
          : toPostgresError("append", "COMMIT", e);
      }
    });
  }

  async readTail(knownTs: Timestamp): Promise<LogTail> {
    const documents = await this.#pool.query<DocumentRow>("readTail", {
      text: documentsAfterSql(knownTs),
    });
    if (documents.rows.length === 0) return { documents: [], indexes: [] };
    // Appends are visible in ts order, so everything up to the newest document read is complete.
    const upTo = documents.rows[documents.rows.length - 1]!.ts;
    const indexes = await this.#pool.query<IndexRow>("readTail", {
      text: indexesSql(knownTs, upTo),
    });
    return toTail(documents.rows, indexes.rows);
  }

  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#listenClient === null && this.#retryTimer === null)
      this.#listen();
    return () => this.#listeners.delete(listener);
  }

  /** Closes the `LISTEN` connection. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    const client = this.#listenClient;
    this.#listenClient = null;
    await client?.end().catch(() => undefined);
  }

  #listen(): void {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: "hull-listen",
    });
    this.#listenClient = client;
    const retry = (error: unknown): void => {
      if (this.#listenClient !== client) return;
      this.#listenClient = null;
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#logger.warn("the PostgreSQL LISTEN connection failed; retrying", {
        error: error instanceof Error ? error.message : String(error),
      });
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#listen();
      }, LISTEN_RETRY_MS);
      this.#retryTimer.unref();
      this.#notify();
    };
    client.on("error", retry);
    client.on("end", () => retry(new Error("connection ended")));
    client.on("notification", (message) => {
      if (message.payload !== this.#origin) this.#notify();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${APPEND_CHANNEL}`))
      .then(() => this.#notify())
      .catch(retry);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
