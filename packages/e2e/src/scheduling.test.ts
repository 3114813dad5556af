import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "./deployed-app.js";
import { mutationRef, queryRef } from "./function-refs.js";

let deployed: DeployedApp;

beforeAll(async () => {
  deployed = await deployFixture("scheduling");
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

function client(): ConvexHttpClient {
  return new ConvexHttpClient(deployed.hull.url, { logger: false });
}

const records = async (): Promise<string[]> =>
  (await client().query(queryRef("jobs:records"), {})) as string[];

const ticks = async (): Promise<number[]> =>
  (await client().query(queryRef("jobs:ticks"), {})) as number[];

/** Polls `read` until `done` holds (or fails after `timeoutMs`). */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up waiting; last value ${JSON.stringify(value)}\n${deployed.hull.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts the killed process again and reads `read` once it answers. */
async function restarted<T>(read: () => Promise<T>): Promise<T> {
  await deployed.hull.restart();
  return read();
}

const count = (values: readonly string[], tag: string) =>
  values.filter((v) => v === tag).length;

describe("the scheduler", () => {
  test("a mutation schedules a function that runs, visible in _scheduled_functions", async () => {
    const id = (await client().mutation(mutationRef("jobs:enqueue"), {
      tag: "soon",
      delayMs: 0,
    })) as string;
    await eventually(records, (tags) => tags.includes("soon"));
    const job = (await client().query(queryRef("jobs:job"), { id })) as {
      name: string;
      args: unknown[];
      state: { kind: string };
      completedTime?: number;
    };
    expect(job).toMatchObject({
      name: "jobs.js:record",
      args: [{ tag: "soon" }],
      state: { kind: "success" },
    });
    expect(typeof job.completedTime).toBe("number");
  });

  test("a scheduled action runs once", async () => {
    await client().mutation(mutationRef("jobs:enqueueAction"), { tag: "a1" });
    await eventually(records, (tags) => tags.includes("action a1"));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(count(await records(), "action a1")).toBe(1);
  });

  test("an interval cron ticks and its runs are in the function logs", async () => {
    await eventually(ticks, (at) => at.length >= 2);
    const response = await fetch(
      `${deployed.hull.url}/api/stream_function_logs?cursor=0`,
      { headers: { Authorization: `Convex ${deployed.hull.adminKey}` } },
    );
    const body = (await response.json()) as {
      entries: { identifier: string; error: string | null }[];
    };
    const runs = body.entries.filter((e) => e.identifier === "jobs.js:tick");
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((e) => e.error === null)).toBe(true);
  });

  test("a job pending when the process dies runs once, late, and the cron resumes without repeating a slot", async () => {
    await client().mutation(mutationRef("jobs:enqueue"), {
      tag: "across",
      delayMs: 1000,
    });
    const killedAt = Date.now();
    await deployed.hull.kill9();
    // Down past the job's time and past a cron slot or two.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const before = (await restarted(ticks)).length;
    await eventually(records, (tags) => tags.includes("across"));
    await eventually(ticks, (at) => at.length >= before + 2);
    expect(count(await records(), "across")).toBe(1);
    const at = await ticks();
    // The slots missed while down run once, as one catch-up tick; then the 2 s grid goes on, so
    // the tick after the catch-up may come at any distance (the catch-up ran between two slots).
    // Every other pair of ticks is a grid step apart: several missed slots run one by one would
    // show as a burst of ticks.
    const catchUp = at.findIndex((t) => t > killedAt);
    const gaps = at
      .slice(1)
      .map((t, i) => t - at[i]!)
      .filter((_, i) => i !== catchUp);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
    expect(at.length).toBeLessThanOrEqual((at.at(-1)! - at[0]!) / 2000 + 2);
  });

  test("a deploy without the cron stops it", async () => {
    await deployed.app.removeModule("crons.ts");
    try {
      await deployed.push();
      const settled = (await ticks()).length;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await ticks()).length).toBe(settled);
    } finally {
      await deployed.app.restoreModule("crons.ts");
    }
  });
});
