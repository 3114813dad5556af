import { describe, expect, test } from "vitest";
import { BackendError } from "../errors/backend-error.js";
import { encodeTs } from "./encoded-ts.js";
import { createFakeHttpDeps, TEST_ADMIN_KEY } from "./fake-http-deps.js";
import { createCallLane, type CallLane } from "./call-lane.js";
import { createHttpApp, type FetchHandler } from "./http-app.js";
import type { HttpDeps } from "./http-deps.js";
import { MAX_FUNCTION_BODY_BYTES } from "./request-body.js";

const BASE = "http://127.0.0.1:3210";
const ADMIN = { Authorization: `Convex ${TEST_ADMIN_KEY}` };

/**
 * Every case runs against the fetch-style app and against the Node adapter's call lane, which
 * must answer the same (the lane hands other paths, such as `/api/query_ts`, to the app).
 */
const SERVERS: [string, (deps: HttpDeps) => FetchHandler][] = [
  ["the fetch app", createHttpApp],
  [
    "the call lane",
    (deps) => {
      const app = createHttpApp(deps);
      const lane = createCallLane(deps);
      return (request) => viaLane(lane, app, request);
    },
  ],
];

async function viaLane(
  lane: CallLane,
  app: FetchHandler,
  request: Request,
): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (!lane.accepts(request.method, path)) return await app(request);
  const answer = await lane.serve({
    method: request.method,
    path,
    headers: request.headers,
    body: Buffer.from(await request.arrayBuffer()),
  });
  return new Response(answer.text, {
    status: answer.status,
    headers: answer.headers,
  });
}

function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Request {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const call = {
  path: "messages:list",
  format: "convex_encoded_json",
  args: [{ n: 1 }],
};

describe.each(SERVERS)("function routes through %s", (_name, serve) => {
  function setup() {
    const fakes = createFakeHttpDeps();
    return { ...fakes, app: serve(fakes.deps) };
  }

  test("POST /api/query runs a public query with the one-element args array unwrapped", async () => {
    const { app, functions } = setup();
    const response = await app(post("/api/query", call));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "success",
      value: { n: 1 },
      logLines: ["[LOG] 'called'"],
    });
    expect(functions.calls).toEqual([
      {
        udfPath: "messages:list",
        udfType: "query",
        args: { n: 1 },
        identity: null,
        allowInternal: false,
        readTs: undefined,
      },
    ]);
  });

  test('format "json" (clean JSON, as HTTP callers send it) is accepted and answered in kind', async () => {
    const { app, functions } = setup();
    const response = await app(
      post("/api/mutation", { path: "m:add", args: { a: 1 }, format: "json" }),
    );
    expect(await response.json()).toEqual({
      status: "success",
      value: { a: 1 },
      logLines: ["[LOG] 'called'"],
    });
    expect(functions.calls.map((c) => c.args)).toEqual([{ a: 1 }]);
  });

  test("mutation and action routes ask for their own kind; args may be a bare object", async () => {
    const { app, functions } = setup();
    await app(post("/api/mutation", { path: "m:add", args: { a: 1 } }));
    await app(post("/api/action", { path: "m:act" }));
    expect(functions.calls.map((c) => [c.udfType, c.args])).toEqual([
      ["mutation", { a: 1 }],
      ["action", {}],
    ]);
  });

  test("a failed function is HTTP 200 with status error, errorData and log lines", async () => {
    const { app, functions } = setup();
    functions.respond = () =>
      Promise.resolve({
        success: false,
        errorMessage: "Uncaught ConvexError: nope",
        errorData: { code: 42 },
        logLines: ["[ERROR] 'x'"],
      });
    const response = await app(post("/api/mutation", call));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "error",
      errorMessage: "Uncaught ConvexError: nope",
      errorData: { code: 42 },
      logLines: ["[ERROR] 'x'"],
    });
  });

  test("an unknown function is the runtime's error result, passed through with status 200", async () => {
    const { app, functions } = setup();
    functions.respond = (request) =>
      Promise.resolve({
        success: false,
        errorMessage: `Could not find public function for '${request.udfPath}'.`,
        logLines: [],
      });
    const response = await app(
      post("/api/query", { ...call, path: "nope:missing" }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "error",
      errorMessage: "Could not find public function for 'nope:missing'.",
    });
  });

  test("an anonymous caller may not run internal functions; an admin may", async () => {
    const { app, functions } = setup();
    await app(post("/api/query", call));
    await app(post("/api/query", call, ADMIN));
    expect(functions.calls.map((c) => c.allowInternal)).toEqual([false, true]);
  });

  test("a user token is accepted and runs anonymously until JWT verification exists", async () => {
    const { app, functions } = setup();
    const response = await app(
      post("/api/query", call, { Authorization: "Bearer eyJ.x.y" }),
    );
    expect(response.status).toBe(200);
    expect(functions.calls[0]?.identity).toBeNull();
  });

  test("an admin acting as a user passes that identity, with a derived tokenIdentifier", async () => {
    const { app, functions } = setup();
    const identity = Buffer.from(
      JSON.stringify({ subject: "u1", issuer: "https://i" }),
    ).toString("base64");
    await app(
      post("/api/query", call, {
        Authorization: `Convex ${TEST_ADMIN_KEY}:${identity}`,
      }),
    );
    expect(functions.calls[0]?.identity).toEqual({
      subject: "u1",
      issuer: "https://i",
      tokenIdentifier: "https://i|u1",
    });
    expect(functions.calls[0]?.allowInternal).toBe(true);
  });

  test("POST /api/function requires an admin and runs any kind", async () => {
    const { app, functions } = setup();
    const anonymous = await app(
      post("/api/function", { path: "m:f", args: {} }),
    );
    expect(anonymous.status).toBe(401);
    expect(functions.calls).toHaveLength(0);
    const admin = await app(
      post("/api/function", { path: "m:f", args: { x: 1 } }, ADMIN),
    );
    expect(admin.status).toBe(200);
    expect(functions.calls[0]).toMatchObject({
      udfType: undefined,
      allowInternal: true,
    });
  });

  test("POST /api/query_ts answers the latest timestamp, which query_at_ts reads at", async () => {
    const { app, functions } = setup();
    const { ts } = (await (await app(post("/api/query_ts", ""))).json()) as {
      ts: string;
    };
    expect(ts).toBe("AIDu77gCChg=");
    await app(post("/api/query_at_ts", { ...call, ts }));
    expect(functions.calls[0]?.readTs).toBe(1_732_200_000_000_000_000n);
    expect(encodeTs(0n)).toBe("AAAAAAAAAAA=");
  });

  test("a browser's call gets the CORS headers for its Origin, errors included", async () => {
    const { app, functions } = setup();
    const origin = { Origin: "https://app.example" };
    const ok = await app(post("/api/query", call, origin));
    functions.respond = () => Promise.reject(new Error("disk on fire"));
    const failed = await app(post("/api/query", call, origin));
    for (const response of [ok, failed]) {
      expect(response.headers.get("access-control-allow-origin")).toBe(
        "https://app.example",
      );
      expect(response.headers.get("access-control-allow-credentials")).toBe(
        "true",
      );
      expect(response.headers.get("vary")).toBe("Origin");
      expect(response.headers.get("content-type")).toBe("application/json");
    }
    const plain = await app(post("/api/query", call));
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an infrastructure failure from the runtime gets the status of its error code", async () => {
    const { app, functions } = setup();
    functions.respond = () =>
      Promise.reject(
        new BackendError("OCC", "OptimisticConcurrencyControlFailure", "busy"),
      );
    const occ = await app(post("/api/mutation", call));
    expect(occ.status).toBe(409);
    expect(await occ.json()).toEqual({
      code: "OptimisticConcurrencyControlFailure",
      message: "busy",
    });
    functions.respond = () => Promise.reject(new Error("disk on fire"));
    const bug = await app(post("/api/mutation", call));
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({
      code: "InternalServerError",
      message: "Your request couldn't be completed. Try again later.",
    });
  });
});

/** Bad requests, made afresh for each server (a request body can be read once). */
function badInputs(): [string, Request, number, string][] {
  return [
    ["malformed JSON", post("/api/query", "{not json"), 400, "BadJsonBody"],
    ["an empty body", post("/api/query", ""), 400, "InvalidRequest"],
    ["a JSON array body", post("/api/query", [1]), 400, "InvalidRequest"],
    ["a missing path", post("/api/query", { args: {} }), 400, "InvalidRequest"],
    [
      "a non-string path",
      post("/api/query", { path: 7 }),
      400,
      "InvalidRequest",
    ],
    [
      "an empty path",
      post("/api/query", { path: " " }),
      400,
      "InvalidFunctionPath",
    ],
    [
      "args that are a string",
      post("/api/query", { path: "m:f", args: "x" }),
      400,
      "InvalidArgs",
    ],
    [
      "args of two objects",
      post("/api/query", { path: "m:f", args: [{}, {}] }),
      400,
      "InvalidArgs",
    ],
    [
      "an unknown format",
      post("/api/query", { ...call, format: "xml" }),
      400,
      "UnsupportedFormat",
    ],
    [
      "a component path",
      post("/api/query", { ...call, componentPath: "child" }),
      400,
      "ComponentsNotSupported",
    ],
    [
      "an invalid ts",
      post("/api/query_at_ts", { ...call, ts: "nope" }),
      400,
      "InvalidTimestamp",
    ],
    [
      "a wrong admin key",
      post("/api/query", call, { Authorization: "Convex test-instance|00" }),
      403,
      "BadAdminKey",
    ],
    [
      "an unreadable impersonated identity",
      post("/api/query", call, {
        Authorization: `Convex ${TEST_ADMIN_KEY}:%%%`,
      }),
      400,
      "InvalidImpersonation",
    ],
    [
      "an oversized body",
      post(
        "/api/mutation",
        JSON.stringify({
          path: "m:f",
          args: { s: "x".repeat(MAX_FUNCTION_BODY_BYTES) },
        }),
      ),
      400,
      "PayloadTooLarge",
    ],
    [
      "an oversized body to an admin route without an admin key",
      post(
        "/api/function",
        JSON.stringify({
          path: "m:f",
          args: { s: "x".repeat(MAX_FUNCTION_BODY_BYTES) },
        }),
      ),
      401,
      "MissingAdminKey",
    ],
  ];
}

describe.each(SERVERS)(
  "function routes through %s: bad input",
  (_name, serve) => {
    function setup() {
      const fakes = createFakeHttpDeps();
      return { ...fakes, app: serve(fakes.deps) };
    }

    test.each(badInputs())(
      "%s is refused with a clear error and never reaches the runtime",
      async (_name, request, status, code) => {
        const { app, functions } = setup();
        const response = await app(request);
        expect(response.status).toBe(status);
        const body = (await response.json()) as {
          code: string;
          message: string;
        };
        expect(body.code).toBe(code);
        expect(body.message.length).toBeGreaterThan(10);
        expect(functions.calls).toHaveLength(0);
      },
    );
  },
);
