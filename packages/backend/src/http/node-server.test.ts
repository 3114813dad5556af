import http from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import type { FetchHandler } from "./http-app.js";
import { bodyBytes, clientSignal } from "./fast-path.js";
import { NodeHttpServer } from "./node-server.js";
import type { CallLane, LaneRequest } from "./call-lane.js";

const servers: NodeHttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function start(
  fetch: FetchHandler,
  maxBodyBytes = 1024,
  standardBodies = true,
  lane?: CallLane,
): Promise<string> {
  const server = new NodeHttpServer({
    fetch,
    logger: silentLogger,
    port: 0,
    maxBodyBytes,
    standardBodies,
    lane,
  });
  servers.push(server);
  const port = await server.listen();
  return `http://127.0.0.1:${port}`;
}

describe("NodeHttpServer", () => {
  test("without standard bodies, gives the body only through the side table", async () => {
    const url = await start(
      async (request) =>
        new Response(
          `${request.body === null} ${Buffer.from(await bodyBytes(request)).toString()}`,
        ),
      1024,
      false,
    );
    const response = await fetch(url, { method: "POST", body: "payload" });
    expect(await response.text()).toBe("true payload");
  });

  test("passes method, path, headers and body through and streams the response back", async () => {
    const url = await start(async (request) => {
      const body = await request.text();
      return new Response(
        `${request.method} ${new URL(request.url).pathname} ${request.headers.get("x-a")} ${body}`,
        {
          status: 201,
          headers: { "x-b": "2" },
        },
      );
    });
    const response = await fetch(`${url}/p?q=1`, {
      method: "POST",
      headers: { "x-a": "1" },
      body: "hi",
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-b")).toBe("2");
    expect(await response.text()).toBe("POST /p 1 hi");
  });

  test("keeps connections alive across requests", async () => {
    const url = await start(() => Promise.resolve(new Response("ok")));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${url}/`, { agent }, (res) => {
            ports.add(res.socket.localPort ?? -1);
            res.resume();
            res.on("end", resolve);
          })
          .on("error", reject);
      });
    }
    agent.destroy();
    expect(ports.size).toBe(1);
  });

  test("refuses a body over the limit with a Convex-style 400", async () => {
    let called = false;
    const url = await start(() => {
      called = true;
      return Promise.resolve(new Response("ok"));
    }, 10);
    const response = await fetch(`${url}/`, {
      method: "POST",
      body: "x".repeat(100),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "PayloadTooLarge" });
    expect(called).toBe(false);
  });

  test("aborts the client signal when the client disconnects", async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    const url = await start(
      (request) =>
        new Promise((resolve) => {
          clientSignal(request).addEventListener("abort", () => {
            aborted();
            resolve(new Response("late"));
          });
        }),
    );
    const client = new AbortController();
    const pending = fetch(`${url}/`, { signal: client.signal }).catch(
      () => undefined,
    );
    setTimeout(() => client.abort(), 50);
    await pending;
    await sawAbort;
  });

  test("answers WebSocket upgrades with 404 when no upgrade handler is installed", async () => {
    const url = await start(() => Promise.resolve(new Response("ok")));
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.get(`${url}/api/1.48.0/sync`, {
        headers: { Connection: "Upgrade", Upgrade: "websocket" },
      });
      req.on("response", (res) => resolve(res.statusCode));
      req.on("upgrade", () => reject(new Error("unexpected upgrade")));
      req.on("error", reject);
    });
    expect(status).toBe(404);
  });

  test("close ends a long-poll in flight at once through its client signal", async () => {
    const server = new NodeHttpServer({
      fetch: (request) =>
        new Promise((resolve) => {
          clientSignal(request).addEventListener("abort", () =>
            resolve(new Response("released")),
          );
        }),
      logger: silentLogger,
      port: 0,
      maxBodyBytes: 10,
      standardBodies: true,
    });
    const port = await server.listen();
    const response = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await server.close(5_000);
    expect(await response).toBe("released");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("close waits for a request in flight, then stops listening", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = new NodeHttpServer({
      fetch: async () => {
        await gate;
        return new Response("done");
      },
      logger: silentLogger,
      port: 0,
      maxBodyBytes: 10,
      standardBodies: true,
    });
    const port = await server.listen();
    const response = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = server.close(5_000);
    setTimeout(release, 20);
    expect(await response).toBe("done");
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  describe("with a call lane", () => {
    /** A lane for `POST /call` that echoes what it was given. */
    function echoLane(): CallLane & { seen: LaneRequest[] } {
      const seen: LaneRequest[] = [];
      return {
        seen,
        accepts: (method, path) => method === "POST" && path === "/call",
        serve(request) {
          seen.push(request);
          return Promise.resolve({
            status: 200,
            headers: { "Content-Type": "application/json", "X-Lane": "1" },
            text: JSON.stringify({
              body: request.body.toString(),
              auth: request.headers.get("Authorization"),
              missing: request.headers.get("x-missing"),
            }),
          });
        },
      };
    }

    test("serves what it accepts (query ignored), with a Content-Length, and leaves the rest to fetch", async () => {
      const lane = echoLane();
      const url = await start(
        () => Promise.resolve(new Response("from fetch")),
        1024,
        false,
        lane,
      );
      const called = await fetch(`${url}/call?x=1`, {
        method: "POST",
        headers: { Authorization: "Convex k" },
        body: "payload",
      });
      expect(called.headers.get("x-lane")).toBe("1");
      expect(called.headers.get("content-length")).not.toBeNull();
      expect(await called.json()).toEqual({
        body: "payload",
        auth: "Convex k",
        missing: null,
      });
      const other = await fetch(`${url}/other`, { method: "POST", body: "x" });
      expect(await other.text()).toBe("from fetch");
      const get = await fetch(`${url}/call`);
      expect(await get.text()).toBe("from fetch");
      expect(lane.seen.map((r) => r.path)).toEqual(["/call"]);
    });

    test("a body over the limit is a 400 PayloadTooLarge that never reaches the lane", async () => {
      const lane = echoLane();
      const url = await start(
        () => Promise.resolve(new Response("from fetch")),
        16,
        false,
        lane,
      );
      const response = await fetch(`${url}/call`, {
        method: "POST",
        body: "x".repeat(64),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "PayloadTooLarge" });
      expect(lane.seen).toHaveLength(0);
    });
  });
});
