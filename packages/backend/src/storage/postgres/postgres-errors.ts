/**
 * How `PostgresPersistence` turns `pg` failures into `BackendError`s (STYLE.md §5.4 rule 5): the
 * driver's error, the operation and the SQL stay in `cause` for logs; callers see a code, a stable
 * `shortMsg` and a message.
 */
import { BackendError } from "../../errors/backend-error.js";
import {
  createPersistenceConflict,
  toPersistenceError,
} from "../persistence-error.js";

/** `shortMsg` of the retryable error a request gets when its database connection is lost. */
export const DATABASE_CONNECTION_LOST = "DatabaseConnectionLost";

/**
 * SQLSTATEs meaning the session is gone: class 08 (connection exception), and the server shutting
 * down or terminating the backend (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now).
 */
const LOST_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

/** Socket-level failures (Node system error codes) that mean the server is unreachable. */
const LOST_SYSCALL_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Messages `pg` uses (without a code) when the socket closes or a pool checkout times out. */
const LOST_MESSAGES = [
  "Connection terminated",
  "connection error",
  "Client has encountered a connection error",
  "timeout exceeded when trying to connect",
];

/**
 * SQLSTATEs that mean Hull was pointed at the wrong place, by shortMsg, with what to do: 3D000
 * invalid_catalog_name, 28000 invalid_authorization_specification, 28P01 invalid_password.
 */
const CONFIGURATION_ERRORS: Record<string, readonly [string, string]> = {
  "3D000": [
    "PostgresDatabaseMissing",
    "the database does not exist; create it first",
  ],
  "28000": ["PostgresAuthenticationFailed", "the server refused the user"],
  "28P01": ["PostgresAuthenticationFailed", "the server refused the password"],
};

/** SQLSTATE 23505: a row with the same primary key exists. */
const UNIQUE_VIOLATION = "23505";

/** True when `e` means the connection to PostgreSQL was lost or could not be made. */
export function isConnectionLoss(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") {
    if (
      code.startsWith("08") ||
      LOST_SQLSTATES.has(code) ||
      LOST_SYSCALL_CODES.has(code)
    ) {
      return true;
    }
  }
  return LOST_MESSAGES.some((m) => e.message.includes(m));
}

/**
 * Wraps a failure of `operation` that ran `sql`: a lost connection becomes a retryable
 * `OperationalInternalServerError` {@link DATABASE_CONNECTION_LOST}; a missing database or a
 * refused login a configuration error naming it; a duplicate row the persistence conflict error;
 * anything else a generic storage error. The SQL is attached to the
 * cause, never to the message.
 */
export function toPostgresError(
  operation: string,
  sql: string | null,
  e: unknown,
): BackendError {
  if (e instanceof BackendError) return e;
  const cause = withSql(e, sql);
  if (isConnectionLoss(e)) {
    return new BackendError(
      "OperationalInternalServerError",
      DATABASE_CONNECTION_LOST,
      `The database connection was lost during ${operation}; retry the request.`,
      { cause },
    );
  }
  const code = (e as { code?: unknown } | null)?.code;
  const configuration =
    typeof code === "string" ? CONFIGURATION_ERRORS[code] : undefined;
  if (configuration !== undefined) {
    const detail = e instanceof Error ? e.message : String(e);
    return new BackendError(
      "InternalServerError",
      configuration[0],
      `Cannot use the PostgreSQL database: ${configuration[1]} (${detail}).`,
      { cause },
    );
  }
  if (code === UNIQUE_VIOLATION) {
    return createPersistenceConflict(
      `${operation} refused: a row with the same primary key already exists`,
      cause,
    );
  }
  const wrapped = toPersistenceError(operation, e);
  return new BackendError(wrapped.code, wrapped.shortMsg, wrapped.message, {
    cause,
  });
}

/** A lost connection while COMMIT was in flight: the write may or may not have landed. */
export function commitOutcomeUnknown(e: unknown): BackendError {
  return new BackendError(
    "OperationalInternalServerError",
    DATABASE_CONNECTION_LOST,
    "The database connection was lost while committing a write; it may or may not have been " +
      "applied. Re-read before retrying.",
    { cause: e },
  );
}

function withSql(e: unknown, sql: string | null): unknown {
  if (sql === null || !(e instanceof Error)) return e;
  const wrapped = new Error(`${e.message}\nSQL: ${sql}`, { cause: e });
  Object.assign(wrapped, { code: (e as { code?: unknown }).code });
  return wrapped;
}
