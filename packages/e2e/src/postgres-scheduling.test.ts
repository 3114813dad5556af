import { randomBytes } from "node:crypto";
import { ConvexHttpClient } from "convex/browser";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  startTestCluster,
  type TestCluster,
} from "../../backend/src/storage/postgres/test-cluster.js";
import { runConvexCli } from "./convex-cli.js";
import { copyFixture, type FixtureApp } from "./fixture-app.js";
import { mutationRef, queryRef } from "./function-refs.js";
import { startHull, type HullProcess } from "./hull-process.js";

/*
 * Two `hull serve` processes over one PostgreSQL database both run the scheduler: every
 * scheduled mutation and action still runs once, and every cron slot once.
 */

let cluster: TestCluster;
let app: FixtureApp;
let a: HullProcess;
let b: HullProcess;

beforeAll(async () => {
  cluster = await startTestCluster();
  const database = `hull_sched_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = `/${database}`;
  const options = {
    databaseUrl: url.toString(),
    instanceSecret: randomBytes(32).toString("hex"),
  };
  a = await startHull(options);
  b = await startHull(options);
  app = await copyFixture("scheduling");
  const result = await runConvexCli(
    ["dev", "--once", "--typecheck", "disable"],
    { cwd: app.dir, url: a.url, adminKey: a.adminKey, home: app.home },
  );
  expect(result.exitCode, `${result.stderr}\n${a.output()}`).toBe(0);
  // B activates the deploy once its poll of the stored manifest sees it.
  await eventually(
    () => http(b).query(queryRef("jobs:records"), {}),
    () => true,
  );
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await app?.[Symbol.asyncDispose]();
  await cluster?.stop();
});

function http(through: HullProcess): ConvexHttpClient {
  return new ConvexHttpClient(through.url, { logger: false });
}

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(`gave up waiting; last ${JSON.stringify(value)}`);
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("two hull processes scheduling on one PostgreSQL", () => {
  test("every scheduled mutation and action runs exactly once, and every cron slot once", async () => {
    const tags: string[] = [];
    for (let i = 0; i < 8; i++) {
      const through = i % 2 === 0 ? a : b;
      await http(through).mutation(mutationRef("jobs:enqueue"), {
        tag: `m${i}`,
        delayMs: (i % 3) * 300,
      });
      tags.push(`m${i}`);
    }
    for (let i = 0; i < 4; i++) {
      const through = i % 2 === 0 ? b : a;
      await http(through).mutation(mutationRef("jobs:enqueueAction"), {
        tag: `a${i}`,
      });
      tags.push(`action a${i}`);
    }
    const records = await eventually(
      async () =>
        (await http(a).query(queryRef("jobs:records"), {})) as string[],
      (seen) => tags.every((tag) => seen.includes(tag)),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const final = (await http(b).query(
      queryRef("jobs:records"),
      {},
    )) as string[];
    expect(final.length).toBeGreaterThanOrEqual(records.length);
    for (const tag of tags) {
      expect(
        final.filter((t) => t === tag),
        tag,
      ).toHaveLength(1);
    }
    const ticks = await eventually(
      async () => (await http(b).query(queryRef("jobs:ticks"), {})) as number[],
      (at) => at.length >= 3,
    );
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    // Both processes run crons; a slot run by both would show as two ticks together.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
  });
});
