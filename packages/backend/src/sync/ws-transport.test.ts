import http from "node:http";
import type { AddressInfo } from "node:net";
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterEach, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { systemClock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import { FakeBackend } from "./fake-backend.test-support.js";
import { SyncServer } from "./sync-server.js";
import {
  createSyncUpgradeHandler,
  isSyncPath,
  type SyncWebSocketHandler,
} from "./ws-transport.js";

const get = makeFunctionReference<"query", { k: string }, unknown>("kv:get");
const set = makeFunctionReference<"mutation", { k: string; v: unknown }, null>(
  "kv:set",
);

interface Running {
  backend: FakeBackend;
  url: string;
  handler: SyncWebSocketHandler;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<Running> {
  const backend = new FakeBackend();
  const deps = { ...backend.deps(), clock: systemClock };
  const sync = new SyncServer(deps);
  const handler = createSyncUpgradeHandler(sync, {
    logger: silentLogger,
    clock: systemClock,
  });
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head: Buffer) =>
    handler.upgrade(req, socket, head),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await handler.close();
    sync.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { backend, url: `http://127.0.0.1:${port}`, handler };
}

function client(url: string): ConvexClient {
  const c = new ConvexClient(url, {
    skipConvexDeploymentUrlCheck: true,
    logger: false,
  });
  cleanups.push(() => c.close());
  return c;
}

function nextValue<T>(
  c: ConvexClient,
  k: string,
  predicate: (v: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const unsubscribe = c.onUpdate(get, { k }, (value) => {
      if (predicate(value as T)) {
        unsubscribe();
        resolve(value as T);
      }
    });
  });
}

describe("isSyncPath", () => {
  test("accepts the versioned and unversioned sync paths only", () => {
    expect(isSyncPath("/api/1.48.0/sync")).toBe(true);
    expect(isSyncPath("/api/sync")).toBe(true);
    expect(isSyncPath("//api/1.48.0/sync?x=1")).toBe(true);
    expect(isSyncPath("/api/query")).toBe(false);
    expect(isSyncPath("/api/a/b/sync")).toBe(false);
  });
});

describe("createSyncUpgradeHandler", () => {
  test("lets a ConvexClient subscription see another client's mutation", async () => {
    const { url } = await start();
    const reader = client(url);
    const writer = client(url);
    const initial = nextValue(reader, "a", (v) => v === null);
    await initial;
    const updated = nextValue(reader, "a", (v) => v === "hello");
    await writer.mutation(set, { k: "a", v: "hello" });
    expect(await updated).toBe("hello");
  });

  test("resolves an awaited mutation only once its effect is visible to the same client", async () => {
    const { url } = await start();
    const c = client(url);
    const seen: unknown[] = [];
    c.onUpdate(get, { k: "b" }, (v) => seen.push(v));
    await nextValue(c, "b", (v) => v === null);
    await c.mutation(set, { k: "b", v: 42 });
    expect(seen).toContain(42);
    expect(await c.query(get, { k: "b" })).toBe(42);
  });

  test("survives a forced server-side close without losing or doubling a mutation", async () => {
    const { url, backend, handler } = await start();
    const c = client(url);
    await nextValue(c, "c", (v) => v === null);
    let open!: () => void;
    backend.gate = new Promise((resolve) => (open = resolve));
    const pending = c.mutation(set, { k: "c", v: "once" });
    await waitFor(() => backend.mutationLog.length === 1);
    handler.disconnectAll(1011, "InternalServerError");
    await waitFor(
      () => handler.connectionCount === 1 && backend.runs.get("kv:get")! >= 1,
    );
    open();
    await pending;
    expect(await c.query(get, { k: "c" })).toBe("once");
    expect(backend.mutationLog).toEqual([
      JSON.stringify({ k: "c", v: "once" }),
    ]);
  });

  test("answers a non-sync upgrade with 404 and a binary frame with a FatalError", async () => {
    const { url } = await start();
    const wsUrl = url.replace("http", "ws");
    const refused = new WebSocket(`${wsUrl}/api/other`);
    refused.on("error", () => {});
    const status = await new Promise<number>((resolve) =>
      refused.on("unexpected-response", (req, res) => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      }),
    );
    expect(status).toBe(404);

    const raw = new WebSocket(`${wsUrl}/api/1.48.0/sync`);
    await new Promise((resolve) => raw.once("open", resolve));
    const received = new Promise<string>((resolve) =>
      raw.once("message", (d: Buffer) => resolve(d.toString("utf8"))),
    );
    const closed = new Promise<number>((resolve) =>
      raw.once("close", (code) => resolve(code)),
    );
    raw.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(JSON.parse(await received)).toMatchObject({ type: "FatalError" });
    expect(await closed).toBe(1000);
  });
});

async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error("timed out waiting for condition");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
