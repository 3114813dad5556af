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
  DocumentLogEntry,
  IndexEntry,
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
import { fromBytes, joinKey } from "./postgres-keys.js";
import type { PostgresPool } from "./postgres-pool.js";
import { buildWriteStatements } from "./postgres-write.js";

/** The advisory lock serializing appends ("hulm"; migrations use "hull"). */
export const APPEND_LOCK_ID = 0x68756c6d;

/** The `NOTIFY` channel; the payload is the appending process's origin id. */
export const APPEND_CHANNEL = "hull_log_append";

/** Delay before re-opening a dropped `LISTEN` connection. */
const LISTEN_RETRY_MS = 1000;

interface DocumentRow {
  readonly table_id: Buffer;
  readonly id: Buffer;
  readonly ts: bigint;
  readonly prev_ts: bigint | null;
  readonly json_value: string | null;
}

interface IndexRow {
  readonly index_id: Buffer;
  readonly key_prefix: Buffer;
  readonly key_suffix: Buffer;
  readonly ts: bigint;
  readonly deleted: boolean;
  readonly table_id: Buffer;
  readonly document_id: Buffer;
}

/** `ts` is a bigint we format ourselves, so inlining it in SQL text is safe. */
function documentsAfterSql(knownTs: Timestamp): string {
  return `SELECT table_id, id, ts, prev_ts, json_value FROM documents
          WHERE ts > ${knownTs.toString()} ORDER BY ts, table_id, id`;
}

function indexesSql(knownTs: Timestamp, upToTs: Timestamp | null): string {
  const upper = upToTs === null ? "" : ` AND ts <= ${upToTs.toString()}`;
  return `SELECT index_id, key_prefix, key_suffix, ts, deleted, table_id, document_id
          FROM indexes WHERE ts > ${knownTs.toString()}${upper} ORDER BY ts`;
}

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
        const indexRows =
          documentRows.length === 0
            ? []
            : (await client.query<IndexRow>(indexesSql(knownTs, null))).rows;
        const write = build(toTail(documentRows, indexRows));
        if (write.documents.length === 0 && write.indexes.length === 0) {
          await client.query("COMMIT");
          return;
        }
        for (const statement of buildWriteStatements(write, "Error")) {
          const config: pg.QueryConfig = { text: statement.text };
          if (statement.values !== undefined)
            config.values = [...statement.values];
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

function toTail(
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
