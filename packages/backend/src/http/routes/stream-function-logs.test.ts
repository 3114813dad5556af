import { describe, expect, test } from "vitest";
import { createFakeHttpDeps, TEST_ADMIN_KEY } from "../fake-http-deps.js";
import type { FunctionExecutionLog } from "../http-deps.js";
import { createHttpApp } from "../http-app.js";

const BASE = "http://127.0.0.1:3210";

function poll(cursor: number, signal?: AbortSignal): Request {
  return new Request(`${BASE}/api/stream_function_logs?cursor=${cursor}`, {
    headers: { Authorization: `Convex ${TEST_ADMIN_KEY}` },
    ...(signal ? { signal } : {}),
  });
}

const entry: FunctionExecutionLog = {
  udfType: "Mutation",
  identifier: "messages.js:send",
  timestampMs: 5_000,
  executionTimeMs: 12,
  logLines: [
    {
      level: "LOG",
      messages: ["'hello'"],
      timestampMs: 5_001,
      isTruncated: false,
    },
  ],
  error: null,
  requestId: "r1",
};

describe("GET /api/stream_function_logs", () => {
  test("the first poll (cursor 0) answers at once with the history and a non-zero cursor", async () => {
    const { deps } = createFakeHttpDeps();
    const app = createHttpApp(deps);
    const body = (await (await app(poll(0))).json()) as {
      entries: unknown[];
      newCursor: number;
    };
    expect(body).toEqual({ entries: [], newCursor: 1 });
  });

  test("a later poll waits for the next execution and returns it in the CLI's shape", async () => {
    const { deps, logs } = createFakeHttpDeps();
    const app = createHttpApp(deps);
    const pending = app(poll(1));
    setTimeout(() => logs.add(entry), 10);
    const body = (await (await pending).json()) as {
      entries: Record<string, unknown>[];
      newCursor: number;
    };
    expect(body.newCursor).toBe(5_000);
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({
      kind: "Completion",
      udfType: "Mutation",
      identifier: "messages.js:send",
      timestamp: 5,
      executionTime: 0.012,
      logLines: [
        {
          messages: ["'hello'"],
          level: "LOG",
          timestamp: 5_001,
          isTruncated: false,
        },
      ],
      error: null,
    });
  });

  test("a poll returns empty when the client goes away", async () => {
    const { deps } = createFakeHttpDeps();
    const app = createHttpApp(deps);
    const aborter = new AbortController();
    const pending = app(poll(10, aborter.signal));
    aborter.abort();
    const body = (await (await pending).json()) as {
      entries: unknown[];
      newCursor: number;
    };
    expect(body).toEqual({ entries: [], newCursor: 10 });
  });

  test("polling requires an admin key and a numeric cursor", async () => {
    const { deps } = createFakeHttpDeps();
    const app = createHttpApp(deps);
    expect(
      (await app(new Request(`${BASE}/api/stream_function_logs?cursor=0`)))
        .status,
    ).toBe(401);
    const bad = await app(
      new Request(`${BASE}/api/stream_function_logs?cursor=abc`, {
        headers: { Authorization: `Convex ${TEST_ADMIN_KEY}` },
      }),
    );
    expect(bad.status).toBe(400);
  });
});
