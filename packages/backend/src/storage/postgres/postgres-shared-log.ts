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
 * another process appended, and the inserts, `NOTIFY` and `COMMIT` pipelined in one.
 *
 * Followers learn about appends through `LISTEN` on a dedicated connection (reconnected when it
 * drops); the engine polls as well, so a lost notification only delays a follower.
 */
import { randomUUID } from "node:crypto";
import type { Writable } from "node:stream";
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
import {
  PostgresPool,
  toQueryConfig,
  type Statement,
} from "./postgres-pool.js";
import { buildWriteStatements } from "./postgres-write.js";

/** The advisory lock serializing appends ("hulm"; migrations use "hull"). */
export const APPEND_LOCK_ID = 0x68756c6d;

/** The `NOTIFY` channel; the payload is the appending process's origin id. */
export const APPEND_CHANNEL = "hull_log_append";

/** Delay before re-opening a dropped `LISTEN` connection. */
const LISTEN_RETRY_MS = 1000;

/** Options of {@link PostgresSharedLog}. */
export interface PostgresSharedLogOptions {
  /** For tail reads. */
  readonly pool: PostgresPool;
  /** For the append connection and the `LISTEN` connection. */
  readonly url: string;
  readonly applicationName: string;
  readonly logger: Logger;
}

export class PostgresSharedLog implements SharedLog {
  readonly #pool: PostgresPool;
  /**
   * One pipelined connection for appends. The committer appends one group at a time, so one is
   * enough; it keeps the insert prepared, and appends never wait behind readers for a connection.
   */
  readonly #appendPool: PostgresPool;
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
    this.#appendPool = new PostgresPool({
      url: options.url,
      maxConnections: 1,
      applicationName: options.applicationName,
      logger: options.logger,
      pipeline: true,
    });
    this.#url = options.url;
    this.#logger = options.logger;
  }

  append(
    knownTs: Timestamp,
    build: (tail: LogTail) => PersistenceWrite,
  ): Promise<void> {
    return this.#appendPool.withClient("append", async (client) => {
      const first = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_ID}); ${documentsAfterSql(knownTs)}`,
      )) as unknown as pg.QueryResult<DocumentRow>[];
      let statements: Statement[];
      try {
        const documentRows = first[2]?.rows ?? [];
        const newest = documentRows[documentRows.length - 1];
        const indexRows =
          newest === undefined
            ? []
            : (await client.query<IndexRow>(indexesSql(knownTs, newest.ts)))
                .rows;
        statements = buildWriteStatements(
          build(toTail(documentRows, indexRows)),
          "Error",
        );
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw toPostgresError("append", null, e);
      }
      await this.#commit(client, statements);
    });
  }

  /**
   * Sends the inserts, the `NOTIFY` and the `COMMIT` at once (one round trip on the pipelined
   * connection) and waits for every answer. A failed statement aborts the transaction, so the
   * `COMMIT` behind it rolls back: that failure is reported as is. A lost connection after the
   * `COMMIT` was sent leaves the outcome unknown, whichever statement it interrupted.
   */
  async #commit(client: pg.PoolClient, statements: Statement[]): Promise<void> {
    if (statements.length === 0) {
      await client.query("COMMIT");
      return;
    }
    // pg writes each query to the socket on its own (a `writev` each); corked, they leave in one.
    const socket = connectionSocket(client);
    socket?.cork();
    let sent: Promise<unknown>[];
    try {
      sent = [
        ...statements.map((statement) =>
          client.query(toQueryConfig(statement)),
        ),
        client.query(`NOTIFY ${APPEND_CHANNEL}, '${this.#origin}'`),
        client.query("COMMIT"),
      ];
    } finally {
      socket?.uncork();
    }
    const failures = (await Promise.allSettled(sent)).flatMap((result) =>
      result.status === "rejected" ? [result.reason as unknown] : [],
    );
    const [first] = failures;
    if (first === undefined) return;
    const aborting = failures.find((e) => !isConnectionLoss(e));
    if (aborting !== undefined) throw toPostgresError("append", null, aborting);
    throw commitOutcomeUnknown(first);
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

  /** Closes the append and `LISTEN` connections. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    const client = this.#listenClient;
    this.#listenClient = null;
    await client?.end().catch(() => undefined);
    await this.#appendPool.end();
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

/** The socket under a pg client (not in pg's types), if it has one yet. */
function connectionSocket(client: pg.PoolClient): Writable | undefined {
  return (client as unknown as { connection?: { stream?: Writable } })
    .connection?.stream;
}
