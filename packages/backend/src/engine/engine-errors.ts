/**
 * The errors the engine raises for bad requests, worded as Convex words them
 * (convex-backend `crates/database/src/transaction.rs`, `crates/model`).
 */
import { BackendError, badRequest } from "../errors/backend-error.js";

/** The user-facing name of a database operation, as in Convex messages (`db.get`). */
export type DatabaseOperation =
  "db.get" | "db.patch" | "db.replace" | "db.delete" | "db.insert";

export function invalidIdError(
  operation: DatabaseOperation,
  id: string,
): BackendError {
  return badRequest(
    "InvalidId",
    `Invalid argument \`id\` for \`${operation}\`: Unable to decode ID: Invalid ID ${JSON.stringify(id)}`,
  );
}

export function tableMismatchError(
  operation: DatabaseOperation,
  expected: string,
  actual: string,
): BackendError {
  return badRequest(
    "InvalidTableForId",
    `Invalid argument \`id\` for \`${operation}\`: expected to be an Id<"${expected}">, got Id<"${actual}"> instead.`,
  );
}

export function systemTableAccessError(): BackendError {
  return badRequest(
    "SystemTableAccess",
    "System tables can only be accessed with db.system.",
  );
}

export function userTableThroughSystemError(): BackendError {
  return badRequest(
    "UserTableAccessThroughSystem",
    "User tables cannot be accessed with db.system. Use db instead.",
  );
}

export function systemTableWriteError(table: string): BackendError {
  return badRequest(
    "SystemTableWrite",
    `Table ${JSON.stringify(table)} is a system table. System tables cannot be written to directly.`,
  );
}

export function nonexistentDocumentError(
  operation: DatabaseOperation,
  id: string,
): BackendError {
  const verb = operation === "db.delete" ? "Delete" : "Update";
  return badRequest(
    "NonexistentDocument",
    `${verb} on nonexistent document ID ${id}`,
  );
}

export function systemFieldMismatchError(
  field: "_id" | "_creationTime",
  provided: string,
  actual: string,
): BackendError {
  const what = field === "_id" ? "document ID" : "creation time";
  return badRequest(
    "SystemFieldMismatch",
    `Provided ${what} ${provided} doesn't match '${field}' field ${actual}`,
  );
}

export function systemFieldOnInsertError(field: string): BackendError {
  return badRequest(
    "SystemFieldOnInsert",
    `Provided document contains the system field \`${field}\`; system fields are assigned by the database.`,
  );
}

export function schemaViolationError(
  table: string,
  detail: string,
): BackendError {
  return badRequest(
    "SchemaEnforcementError",
    `Failed to insert or update a document in table "${table}" because it does not match the schema: ${detail}`,
  );
}

export function transactionClosedError(): BackendError {
  return new BackendError(
    "InternalServerError",
    "TransactionClosed",
    "The transaction was already committed or closed.",
  );
}

export function indexNotReadyError(
  table: string,
  index: string,
  staged: boolean,
): BackendError {
  const why = staged
    ? "is staged and not available to query until it is enabled in the schema"
    : "is still backfilling and not available to query yet";
  return badRequest("IndexNotReady", `Index ${table}.${index} ${why}.`);
}
