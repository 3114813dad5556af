/**
 * The errors every `Persistence` driver throws (see the error contract in `persistence.ts`).
 */
import { BackendError } from "../errors/backend-error.js";
import { PERSISTENCE_CONFLICT } from "./persistence.js";

/** A write refused because one of its rows already exists under the `Error` strategy. */
export function createPersistenceConflict(
  message: string,
  cause?: unknown,
): BackendError {
  return new BackendError(
    "InternalServerError",
    PERSISTENCE_CONFLICT,
    message,
    { cause },
  );
}

/** True for errors made by {@link createPersistenceConflict} (or a driver's equivalent). */
export function isPersistenceConflict(e: unknown): boolean {
  return e instanceof BackendError && e.shortMsg === PERSISTENCE_CONFLICT;
}

/**
 * Wraps a driver failure of `operation` (e.g. `"write"`, `"indexScan"`) for the layers above; the
 * driver's error stays available as `cause` for logs. BackendErrors pass through unchanged.
 */
export function toPersistenceError(
  operation: string,
  e: unknown,
): BackendError {
  if (e instanceof BackendError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new BackendError(
    "OperationalInternalServerError",
    "InternalServerError",
    `Storage operation ${operation} failed: ${detail}`,
    { cause: e },
  );
}
