import { describe, expect, test } from "vitest";
import { BackendError } from "../errors/backend-error.js";
import { createFakeHttpDeps, TEST_ADMIN_KEY } from "./fake-http-deps.js";
import { createHttpApp } from "./http-app.js";

const BASE = "http://127.0.0.1:3210";

function setup() {
  const fakes = createFakeHttpDeps();
  return { ...fakes, app: createHttpApp(fakes.deps) };
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

describe("createHttpApp: health and identity", () => {
  test("GET /version answers 200 with the version as plain text", async () => {
    const { app } = setup();
    const response = await app(new Request(`${BASE}/version`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe("0.1.0");
  });

  test("GET /instance_name answers the instance name", async () => {
    const { app } = setup();
    expect(await (await app(new Request(`${BASE}/instance_name`))).text()).toBe(
      "test-instance",
    );
  });

  test("GET / says the deployment is running", async () => {
    const { app } = setup();
    expect(await (await app(new Request(`${BASE}/`))).text()).toMatch(
      /deployment is running/,
    );
  });

  test("an unknown path is a 404 with a Convex-style error body", async () => {
    const { app } = setup();
    const response = await app(new Request(`${BASE}/api/nope`));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: "NotFound",
      message: "No endpoint for GET /api/nope.",
    });
  });

  test("GET /api/v1/get_canonical_urls answers the configured origins to an admin", async () => {
    const { app } = setup();
    const response = await app(
      new Request(`${BASE}/api/v1/get_canonical_urls`, {
        headers: { Authorization: `Convex ${TEST_ADMIN_KEY}` },
      }),
    );
    expect(await response.json()).toEqual({
      convexCloudUrl: "http://127.0.0.1:3210",
      convexSiteUrl: "http://127.0.0.1:3211",
    });
  });
});

describe("createHttpApp: admin keys", () => {
  const check = (headers: Record<string, string>) =>
    new Request(`${BASE}/api/check_admin_key`, { headers });

  test("a valid admin key passes check_admin_key", async () => {
    const { app } = setup();
    const response = await app(
      check({ Authorization: `Convex ${TEST_ADMIN_KEY}` }),
    );
    expect(response.status).toBe(200);
  });

  test("a missing admin key is a 401 MissingAdminKey", async () => {
    const { app } = setup();
    const response = await app(check({}));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "MissingAdminKey" });
  });

  test("a wrong admin key is a 403 BadAdminKey", async () => {
    const { app } = setup();
    const wrong =
      TEST_ADMIN_KEY.slice(0, -2) +
      (TEST_ADMIN_KEY.endsWith("00") ? "11" : "00");
    for (const key of [wrong, "test-instance|abcd", "garbage"]) {
      const response = await app(check({ Authorization: `Convex ${key}` }));
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: "BadAdminKey" });
    }
  });

  test("an unknown Authorization scheme is a 401", async () => {
    const { app } = setup();
    const response = await app(check({ Authorization: "Basic abc" }));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "InvalidAuthHeader" });
  });
});

describe("createHttpApp: CORS", () => {
  test("a preflight mirrors the origin and requested headers and is cached for a day", async () => {
    const { app } = setup();
    const response = await app(
      new Request(`${BASE}/api/query`, {
        method: "OPTIONS",
        headers: {
          Origin: "http://localhost:5173",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type,convex-client",
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(
      "http://localhost:5173",
    );
    expect(response.headers.get("access-control-allow-credentials")).toBe(
      "true",
    );
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "content-type,convex-client",
    );
    expect(response.headers.get("access-control-allow-methods")).toContain(
      "POST",
    );
    expect(response.headers.get("access-control-max-age")).toBe("86400");
  });

  test("responses, errors included, carry the mirrored origin", async () => {
    const { app } = setup();
    const ok = await app(
      post(
        "/api/query",
        { path: "m:f", args: {} },
        { Origin: "https://a.test" },
      ),
    );
    expect(ok.headers.get("access-control-allow-origin")).toBe(
      "https://a.test",
    );
    const bad = await app(
      post("/api/query", "{", { Origin: "https://a.test" }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get("access-control-allow-origin")).toBe(
      "https://a.test",
    );
  });

  test("a request without Origin gets no CORS headers", async () => {
    const { app } = setup();
    const response = await app(post("/api/query", { path: "m:f", args: {} }));
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
  });
});

describe("createHttpApp: HTTP actions under /http/", () => {
  test("requests under /http/ reach the runtime with the prefix stripped", async () => {
    const { app, functions } = setup();
    functions.httpAction = async (request) =>
      new Response(
        `${request.method} ${new URL(request.url).pathname} ${await request.text()}`,
      );
    const response = await app(
      new Request(`${BASE}/http/hooks/stripe?x=1`, {
        method: "POST",
        body: "payload",
      }),
    );
    expect(await response.text()).toBe("POST /hooks/stripe payload");
  });

  test("an error thrown by the runtime becomes an error response", async () => {
    const { app, functions } = setup();
    functions.httpAction = () =>
      Promise.reject(new BackendError("Overloaded", "Shutdown", "bye"));
    const response = await app(new Request(`${BASE}/http/x`));
    expect(response.status).toBe(503);
  });
});
