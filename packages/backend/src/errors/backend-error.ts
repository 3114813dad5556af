/**
 * The one error type of the backend. Mirrors convex-backend's `ErrorMetadata { code, short_msg, msg }`:
 * `code` picks the transport status, `shortMsg` is a stable ScreamingCamelCase tag (the HTTP
 * `code` field and the WebSocket close reason), `message` is for developers.
 */
export type ErrorCode =
  | "BadRequest"
  | "Unauthenticated"
  | "Forbidden"
  | "NotFound"
  | "RateLimited"
  | "Overloaded"
  | "OCC"
  | "PaginationLimit"
  | "OperationalInternalServerError"
  | "InternalServerError";

export class BackendError extends Error {
  override readonly name = "BackendError";
  readonly code: ErrorCode;
  readonly shortMsg: string;

  constructor(code: ErrorCode, shortMsg: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.shortMsg = shortMsg;
  }
}

export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError;
}

/** Normalises anything thrown into a BackendError; unknown failures become internal errors. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new BackendError("OperationalInternalServerError", "InternalServerError", message, {
    cause: e,
  });
}

export function badRequest(shortMsg: string, message: string): BackendError {
  return new BackendError("BadRequest", shortMsg, message);
}
