import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  startTestCluster,
  type TestCluster,
} from "../../backend/src/storage/postgres/test-cluster.js";
import { runConvexCli, type CliResult } from "./convex-cli.js";
import { copyFixture, type FixtureApp } from "./fixture-app.js";
import { mutationRef, queryRef } from "./function-refs.js";
import { startHull, type HullProcess } from "./hull-process.js";
import { startTcpProxy } from "./tcp-proxy.js";

/*
 * Two `hull serve` processes over one PostgreSQL database (issue 6): the official CLI deploys
 * through either, the official clients call and subscribe through either, and killing one with
 * SIGKILL loses no acknowledged mutation.
 */

const INSTANCE_SECRET = randomBytes(32).toString("hex");

let cluster: TestCluster;
let app: FixtureApp;
let a: HullProcess;
let b: HullProcess;
const clients: ConvexClient[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  const database = `hull_e2e_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = `/${database}`;
  const options = {
    databaseUrl: url.toString(),
    instanceSecret: INSTANCE_SECRET,
  };
  a = await startHull(options);
  b = await startHull(options);
  app = await copyFixture("live");
  await push(a);
  // B activates the deploy once its poll of the stored manifest sees it (within a second).
  await eventually(() => http(b).query(list, { channel: "none" }));
});

afterAll(async () => {
  for (const client of clients.splice(0)) await client.close();
  await a?.stop();
  await b?.stop();
  await app?.[Symbol.asyncDispose]();
  await cluster?.stop();
});

async function push(through: HullProcess): Promise<CliResult> {
  const result = await runConvexCli(
    ["dev", "--once", "--typecheck", "disable"],
    {
      cwd: app.dir,
      url: through.url,
      adminKey: through.adminKey,
      home: app.home,
    },
  );
  expect(
    result.exitCode,
    `${result.stdout}\n${result.stderr}\n${through.output()}`,
  ).toBe(0);
  return result;
}

function http(through: HullProcess): ConvexHttpClient {
  return new ConvexHttpClient(through.url, { logger: false });
}

async function eventually<T>(
  attempt: () => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

type Message = { channel: string; body: string };
const send = mutationRef("messages:send");
const list = queryRef("messages:list");

describe("two hull processes on one PostgreSQL", () => {
  test("a query through either process sees every mutation acknowledged before it", async () => {
    await http(a).mutation(send, { channel: "both", body: "from a" });
    await http(b).mutation(send, { channel: "both", body: "from b" });
    for (const through of [a, b]) {
      const messages = (await http(through).query(list, {
        channel: "both",
      })) as Message[];
      expect(messages.map((m) => m.body).sort()).toEqual(["from a", "from b"]);
    }
  });

  test("a ConvexClient subscribed through one process sees a mutation made through the other", async () => {
    const reader = new ConvexClient(b.url, { logger: false });
    clients.push(reader);
    const seen = new Promise<Message[]>((resolve) => {
      const unsubscribe = reader.onUpdate(
        list,
        { channel: "live" },
        (value: Message[]) => {
          if (value.some((m) => m.body === "pushed through a")) {
            unsubscribe();
            resolve(value);
          }
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await http(a).mutation(send, { channel: "live", body: "pushed through a" });
    expect((await seen).map((m) => m.body)).toContain("pushed through a");
  });

  test("a deploy through one process takes effect on the other", async () => {
    await fs.writeFile(
      path.join(app.dir, "convex", "added.ts"),
      `import { query } from "./_generated/server";\n` +
        `export const ping = query({ args: {}, handler: () => "pong" });\n`,
    );
    await push(b);
    const answer: unknown = await eventually((): Promise<unknown> =>
      http(a).query(queryRef("added:ping"), {}),
    );
    expect(answer).toBe("pong");
  });

  test("killing one process under a write load loses no acknowledged mutation, and a ConvexClient behind a proxy carries on through the survivor", async () => {
    await using proxy = await startTcpProxy(Number(new URL(a.url).port));
    const viaProxy = new ConvexClient(proxy.url, { logger: false });
    clients.push(viaProxy);
    const wsBodies: string[][] = [];
    viaProxy.onUpdate(list, { channel: "failover-ws" }, (value: Message[]) =>
      wsBodies.push(value.map((m) => m.body)),
    );
    await viaProxy.mutation(send, { channel: "failover-ws", body: "before" });
    const acknowledged: string[] = [];
    let stop = false;
    let firstAckAfterKill: number | null = null;
    let killedAt: number | null = null;
    const writer = async (through: () => HullProcess, n: number) => {
      let i = 0;
      while (!stop) {
        const body = `w${n}-${i++}`;
        try {
          await http(through()).mutation(send, { channel: "failover", body });
          acknowledged.push(body);
          if (killedAt !== null && firstAckAfterKill === null)
            firstAckAfterKill = Date.now() - killedAt;
        } catch {
          // The killed process refuses; its clients move to the survivor.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    let target = a;
    const writers = Array.from({ length: 8 }, (_, n) =>
      writer(() => (n % 2 === 0 ? target : b), n),
    );
    await new Promise((resolve) => setTimeout(resolve, 800));
    killedAt = Date.now();
    await a.kill9();
    target = b;
    proxy.retarget(Number(new URL(b.url).port));
    await new Promise((resolve) => setTimeout(resolve, 800));
    stop = true;
    await Promise.all(writers);
    expect(firstAckAfterKill).not.toBeNull();
    expect(firstAckAfterKill!).toBeLessThan(5000);
    const stored = (await http(b).query(list, {
      channel: "failover",
    })) as Message[];
    const bodies = new Set(stored.map((m) => m.body));
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(acknowledged.filter((body) => !bodies.has(body))).toEqual([]);
    // The WebSocket client reconnected through the proxy to the survivor and resubscribed.
    await viaProxy.mutation(send, { channel: "failover-ws", body: "after" });
    await eventually(() => {
      expect(wsBodies.at(-1)).toEqual(["before", "after"]);
      return Promise.resolve();
    });
  });
});
