import type { ErrorCode } from "./backend-error.js";

/**
 * The one table from `ErrorCode` to HTTP status (STYLE.md §5.4 rule 2). Handlers never pick a
 * status for an error themselves; `http/error-response.ts` looks it up here. The choices follow
 * convex-backend's `ErrorCode::http_status`.
 */
export const HTTP_STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, number>> = {
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  // A conflict that outlived its retries: the request may be retried as is.
  OCC: 409,
  RateLimited: 429,
  PaginationLimit: 400,
  Overloaded: 503,
  OperationalInternalServerError: 500,
  InternalServerError: 500,
};

/** The HTTP status for an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS_BY_ERROR_CODE[code];
}
