/**
 * A `pg` connection pool with the behaviour `PostgresPersistence` relies on: `int8` parsed as
 * `bigint` for this pool only (no global type parsers), every failure turned into a `BackendError`
 * (see `postgres-errors.ts`), broken connections discarded so the next checkout reconnects, and
 * errors on idle connections logged instead of crashing the process.
 */
import pg from "pg";
import type { Logger } from "../../shared/logger.js";
import {
  commitOutcomeUnknown,
  isConnectionLoss,
  toPostgresError,
} from "./postgres-errors.js";

/** OID of PostgreSQL's `int8`/`bigint` type. */
const INT8_OID = 20;

const parseBigint = (text: string): bigint => BigInt(text);

/** pg's own parser for every other type (the global defaults, which we never modify). */
const defaultParser = (oid: number, format?: "text" | "binary"): unknown =>
  pg.types.getTypeParser(oid, format);

/** Type parsers for our pools: `bigint` columns become JS `bigint`, the rest keep pg's defaults. */
const POOL_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? parseBigint
      : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A blackholed server would otherwise make a checkout wait forever; a reachable one answers in
 * milliseconds.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** Pool settings; `url` is a `postgres://` connection string. */
export interface PostgresPoolOptions {
  readonly url: string;
  readonly maxConnections: number;
  readonly applicationName: string;
  readonly logger: Logger;
  /**
   * pg's pipeline mode: a connection sends each query at once instead of after the previous one's
   * answer, so statements issued together cost one round trip. A failing statement inside a
   * transaction then fails the ones already sent behind it (and a `COMMIT` among them rolls back).
   */
  readonly pipeline?: boolean | undefined;
}

/** Query text and parameters. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[] | undefined;
  /**
   * When set, the statement is prepared once per connection under this name and only bound and
   * executed afterwards. Give a name only to a statement whose text is fixed for that name and
   * whose generic plan is as good as any (PostgreSQL may switch to it after five executions).
   */
  readonly name?: string | undefined;
}

/** The `pg` query config for a statement. */
export function toQueryConfig(statement: Statement): pg.QueryConfig {
  const config: pg.QueryConfig = { text: statement.text };
  if (statement.values !== undefined) config.values = [...statement.values];
  if (statement.name !== undefined) config.name = statement.name;
  return config;
}

/** Runs statements inside one transaction (see {@link PostgresPool.transaction}). */
export type TransactionQuery = <R extends pg.QueryResultRow>(
  statement: Statement,
) => Promise<pg.QueryResult<R>>;

/** The one pool of a `PostgresPersistence`; every method rejects with a `BackendError`. */
export class PostgresPool {
  readonly #pool: pg.Pool;
  readonly #logger: Logger;

  constructor(options: PostgresPoolOptions) {
    this.#logger = options.logger;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections,
      application_name: options.applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      types: POOL_TYPES,
      pipeline: options.pipeline ?? false,
    });
    this.#pool.on("error", (e) => {
      this.#logger.warn(
        "an idle PostgreSQL connection failed; it will be replaced",
        {
          error: e.message,
        },
      );
    });
  }

  /** Runs one statement on any pooled connection; rejects with a `BackendError`. */
  async query<R extends pg.QueryResultRow>(
    operation: string,
    statement: Statement,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(toQueryConfig(statement));
    } catch (e) {
      throw toPostgresError(operation, statement.text, e);
    }
  }

  /** Checks out one connection and hands it to `fn`, for statements that need the same session. */
  async withClient<T>(
    operation: string,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw toPostgresError(operation, null, e);
    }
    // A checked-out client emits "error" when its socket dies; without a listener that would crash.
    const onError = (): void => undefined;
    client.on("error", onError);
    let broken = true;
    try {
      const result = await fn(client);
      broken = false;
      return result;
    } catch (e) {
      throw toPostgresError(operation, null, e);
    } finally {
      client.removeListener("error", onError);
      // After a failure the session's state is unknown: discard it, the pool opens a new one.
      client.release(broken);
    }
  }

  /**
   * Runs one data-changing statement as its own transaction. When the connection is lost after
   * the statement was sent, the error says the outcome is unknown (it may have committed).
   */
  async writeStatement(operation: string, statement: Statement): Promise<void> {
    await this.withClient(operation, async (client) => {
      try {
        await client.query(toQueryConfig(statement));
      } catch (e) {
        throw isConnectionLoss(e)
          ? commitOutcomeUnknown(e)
          : toPostgresError(operation, statement.text, e);
      }
    });
  }

  /**
   * Runs `fn` in one transaction (`BEGIN` … `COMMIT`): either every statement's effect lands or
   * none does. On failure the transaction is rolled back (or dies with its connection). A lost
   * connection during `COMMIT` is reported as an unknown outcome.
   */
  transaction<T>(
    operation: string,
    fn: (query: TransactionQuery) => Promise<T>,
  ): Promise<T> {
    return this.withClient(operation, async (client) => {
      const query: TransactionQuery = async (statement) => {
        try {
          return await client.query(toQueryConfig(statement));
        } catch (e) {
          throw toPostgresError(operation, statement.text, e);
        }
      };
      await query({ text: "BEGIN" });
      let result: T;
      try {
        result = await fn(query);
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
      try {
        await client.query("COMMIT");
      } catch (e) {
        throw isConnectionLoss(e)
          ? commitOutcomeUnknown(e)
          : toPostgresError(operation, "COMMIT", e);
      }
      return result;
    });
  }

  /** Closes every connection; the pool is unusable afterwards. Idempotent. */
  async end(): Promise<void> {
    if (this.#pool.ended) return;
    await this.#pool.end();
  }
}
