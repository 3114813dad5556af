import { httpStatusFor } from "../errors/http-status.js";
import { BackendError, isBackendError } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import { setResponseText } from "./fast-path.js";

/** A 200 (or `status`) JSON response. */
export function jsonResponse(body: unknown, status = 200): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, {
    status,
    headers: { "Content-Type": "application/json" },
  });
  return setResponseText(response, text);
}

/** A 200 plain-text response. */
export function textResponse(text: string): Response {
  const response = new Response(text, {
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
  return setResponseText(response, text);
}

/**
 * The one exit point for infrastructure errors (STYLE.md §5.4 rule 2): normalises `error`, takes
 * the status from `errors/http-status.ts`, and answers `{"code": shortMsg, "message": message}`
 * like convex-backend. Anything that is not a `BackendError` is a bug or an outage: the client
 * gets a generic 500 and the details go to the log. Client errors (4xx) log at warn, server
 * errors (5xx) at error.
 */
export function errorAnswer(
  error: unknown,
  logger: Logger,
): { status: number; body: { code: string; message: string } } {
  const backendError = isBackendError(error) ? error : internalError(error);
  const status = httpStatusFor(backendError.code);
  const body = { code: backendError.shortMsg, message: backendError.message };
  if (status >= 500) logger.error("request failed", { ...body, cause: error });
  else logger.warn("request rejected", body);
  return { status, body };
}

/** {@link errorAnswer} as a `Response`. */
export function errorResponse(error: unknown, logger: Logger): Response {
  const { status, body } = errorAnswer(error, logger);
  return jsonResponse(body, status);
}

function internalError(cause: unknown): BackendError {
  return new BackendError(
    "InternalServerError",
    "InternalServerError",
    "Your request couldn't be completed. Try again later.",
    { cause },
  );
}
