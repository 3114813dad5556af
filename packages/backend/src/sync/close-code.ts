/**
 * The one table from `ErrorCode` to WebSocket close code, as convex-backend uses them (wire
 * protocol §1.7). The close reason is the error's `shortMsg`: the client picks its reconnect
 * backoff by matching the reason's prefix (`InternalServerError` → 1 s, `Overloaded`-like → 3 s).
 */
import type { BackendError, ErrorCode } from "../errors/backend-error.js";

/** Normal closure: silent in the client, which reconnects after its default backoff. */
export const CLOSE_NORMAL = 1000;
/** Unexpected server condition. */
export const CLOSE_INTERNAL_ERROR = 1011;
/** "Try again later": overload, OCC or rate limiting. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

const CLOSE_CODES: Record<ErrorCode, number> = {
  BadRequest: CLOSE_NORMAL,
  Unauthenticated: CLOSE_NORMAL,
  Forbidden: CLOSE_NORMAL,
  NotFound: CLOSE_NORMAL,
  PaginationLimit: CLOSE_NORMAL,
  RateLimited: CLOSE_TRY_AGAIN_LATER,
  Overloaded: CLOSE_TRY_AGAIN_LATER,
  OCC: CLOSE_TRY_AGAIN_LATER,
  OperationalInternalServerError: CLOSE_INTERNAL_ERROR,
  InternalServerError: CLOSE_INTERNAL_ERROR,
};

/** The close code and reason for a socket ended by `error`. */
export function closeFrameFor(error: BackendError): {
  code: number;
  reason: string;
} {
  const code = CLOSE_CODES[error.code];
  const reason =
    code === CLOSE_INTERNAL_ERROR ? "InternalServerError" : error.shortMsg;
  return { code, reason: truncateReason(reason) };
}

/** Cuts `reason` to at most 123 bytes of UTF-8 without splitting a character. */
export function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = "";
  for (const char of reason) {
    if (Buffer.byteLength(out + char) > MAX_REASON_BYTES) break;
    out += char;
  }
  return out;
}
