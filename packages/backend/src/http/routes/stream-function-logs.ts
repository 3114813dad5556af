import { BackendError } from "../../errors/backend-error.js";
import { requireAdmin } from "../caller.js";
import { clientSignal } from "../fast-path.js";
import type { FunctionExecutionLog } from "../http-deps.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

// The CLI polls again immediately, so hold an empty poll a while; well under fetch timeouts.
const LONG_POLL_MS = 30_000;

/**
 * `GET /api/stream_function_logs?cursor=<ms>` (admin, long-poll): function executions newer than
 * the cursor, as `{entries: FunctionExecution[], newCursor}`; `npx convex dev` and
 * `npx convex logs` print their console lines. With cursor 0 (the CLI's first call, which only
 * learns the head) it answers at once.
 */
export const streamFunctionLogsRoute: Route = {
  method: "GET",
  path: "/api/stream_function_logs",
  handle: async (context) => {
    requireAdmin(context);
    const cursor = parseCursor(context.url.searchParams.get("cursor"));
    const { logs } = context.deps;
    let page = logs.since(cursor);
    if (page.entries.length === 0 && cursor > 0) {
      const timeout = AbortSignal.any([
        clientSignal(context.request),
        AbortSignal.timeout(LONG_POLL_MS),
      ]);
      await logs.waitForEntries(cursor, timeout);
      page = logs.since(cursor);
    }
    // Cursor 0 answers at once, so never hand it back: 1 ms still precedes every entry.
    const newCursor = Math.max(page.newCursor, cursor, 1);
    return jsonResponse({
      entries: page.entries.map(encodeExecution),
      newCursor,
    });
  },
};

function parseCursor(text: string | null): number {
  const cursor = Number(text ?? "0");
  if (!Number.isFinite(cursor) || cursor < 0) {
    throw new BackendError(
      "BadRequest",
      "InvalidCursor",
      `Expected cursor to be a non-negative number of milliseconds, received "${text}".`,
    );
  }
  return cursor;
}

/** The CLI's `FunctionExecution` (a `Completion`), with structured log lines. */
function encodeExecution(log: FunctionExecutionLog): Record<string, unknown> {
  return {
    kind: "Completion",
    udfType: log.udfType,
    identifier: log.identifier,
    componentPath: null,
    timestamp: log.timestampMs / 1000,
    executionTimestamp: log.timestampMs / 1000,
    executionTime: log.executionTimeMs / 1000,
    logLines: log.logLines.map((line) => ({
      messages: [...line.messages],
      level: line.level,
      timestamp: line.timestampMs,
      isTruncated: line.isTruncated,
    })),
    error: log.error,
    success: null,
    cachedResult: false,
    caller: "",
    requestId: log.requestId,
    executionId: log.requestId,
    usageStats: {},
    willRetry: false,
    identityType: "",
    environment: "isolate",
  };
}
