import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ManualClock } from "../engine/testing/manual-clock.js";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import { listScheduledJobs, scheduleJob } from "../model/scheduled-jobs.js";
import { Scheduler } from "../model/scheduler.js";
import { silentLogger } from "../shared/logger.js";
import type { JsonValue } from "../values/value.js";
import { FunctionRunner } from "./function-runner.js";
import { MemoryModuleStore } from "./module-store.js";
import { runnerScheduledExecutor } from "./scheduled-function-executor.js";
import { pushApp } from "./test-app.test-support.js";
import { SERVER, VALUES, testModule } from "./test-modules.test-support.js";

const JOBS_JS = `
import {
  mutationGeneric as mutation, internalMutationGeneric as internalMutation,
  actionGeneric as action, queryGeneric as query, anyApi as api,
} from ${JSON.stringify(SERVER)};
import { v } from ${JSON.stringify(VALUES)};

export const record = internalMutation({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => {
    const identity = await ctx.auth.getUserIdentity();
    await ctx.db.insert("records", { tag, anonymous: identity === null });
  },
});
export const enqueue = mutation({
  args: { tag: v.string(), delayMs: v.number() },
  handler: async (ctx, { tag, delayMs }) => {
    const id = await ctx.scheduler.runAfter(delayMs, api.jobs.record, { tag });
    const doc = await ctx.db.system.get(id);
    return { id, name: doc.name, args: doc.args, state: doc.state.kind };
  },
});
export const enqueueThenFail = mutation({
  handler: async (ctx) => {
    await ctx.scheduler.runAfter(0, api.jobs.record, { tag: "never" });
    throw new Error("rolled back");
  },
});
export const badArgs = mutation({
  handler: async (ctx) => ctx.scheduler.runAfter(0, api.jobs.record, { tag: 1 }),
});
export const enqueueAndCancel = mutation({
  handler: async (ctx) => {
    const id = await ctx.scheduler.runAt(new Date(0), api.jobs.record, { tag: "canceled" });
    await ctx.scheduler.cancel(id);
    return id;
  },
});
export const selfCancel = mutation({
  handler: async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").collect();
    const me = jobs.find((j) => j.name === "jobs.js:selfCancel");
    try {
      await ctx.scheduler.cancel(me._id);
    } catch (e) {
      await ctx.db.insert("records", { tag: e.message });
    }
  },
});
export const fromAction = action({
  handler: async (ctx) => {
    const keep = await ctx.scheduler.runAfter(0, api.jobs.record, { tag: "from action" });
    const drop = await ctx.scheduler.runAfter(0, api.jobs.record, { tag: "dropped" });
    await ctx.scheduler.cancel(drop);
    return keep;
  },
});
export const tags = query({
  handler: async (ctx) => (await ctx.db.query("records").collect()).map((r) => r.tag).sort(),
});
`;

let fixture: EngineFixture;
let cacheDir: string;
let runner: FunctionRunner;
let scheduler: Scheduler;
const clock = new ManualClock(1_700_000_000_000);

beforeAll(async () => {
  fixture = await createTestDatabase("memory");
  cacheDir = await mkdtemp(join(tmpdir(), "hull-scheduler-"));
  const store = new MemoryModuleStore();
  const manifest = await pushApp(store, [testModule("jobs.js", JOBS_JS)]);
  runner = FunctionRunner.create({
    database: fixture.database,
    moduleStore: store,
    logger: silentLogger,
    cacheDir,
    clock,
    isolation: "inProcess",
  });
  await runner.activate(manifest);
  scheduler = new Scheduler({
    database: fixture.database,
    clock,
    executor: runnerScheduledExecutor(runner),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await scheduler.stop();
  await runner.close();
  await fixture[Symbol.asyncDispose]();
  await rm(cacheDir, { recursive: true, force: true });
});

async function call(udfPath: string, args: JsonValue = {}) {
  return runner.run({ udfPath, args, identity: null, allowInternal: false });
}

async function tags(): Promise<JsonValue> {
  const result = await call("jobs:tags");
  if (!result.success) throw new Error(result.errorMessage);
  return result.value;
}

async function jobStates(): Promise<Record<string, string>> {
  const tx = fixture.database.begin();
  try {
    const jobs = await listScheduledJobs(tx);
    return Object.fromEntries(jobs.map((j) => [j.id, j.state.kind]));
  } finally {
    tx.close();
  }
}

describe("ctx.scheduler", () => {
  test("a mutation's job is visible in _scheduled_functions and runs when due, without identity", async () => {
    const result = await call("jobs:enqueue", { tag: "later", delayMs: 1000 });
    expect(result).toMatchObject({
      success: true,
      value: {
        name: "jobs.js:record",
        args: [{ tag: "later" }],
        state: "pending",
      },
    });
    await scheduler.runDue(clock.now() + 999);
    expect(await tags()).toEqual([]);
    await scheduler.runDue(clock.now() + 1000);
    expect(await tags()).toEqual(["later"]);
    const id = (result.success && (result.value as { id: string }).id) || "";
    expect((await jobStates())[id]).toBe("success");
    const logged = runner.logs.since(0).entries.map((e) => e.identifier);
    expect(logged).toContain("jobs.js:record");
  });

  test("a job scheduled by a mutation that fails is never created", async () => {
    const before = Object.keys(await jobStates()).length;
    const result = await call("jobs:enqueueThenFail");
    expect(result.success).toBe(false);
    expect(Object.keys(await jobStates()).length).toBe(before);
  });

  test("arguments are validated against the target when scheduling", async () => {
    const result = await call("jobs:badArgs");
    expect(!result.success && result.errorMessage).toContain(
      "ArgumentValidationError",
    );
  });

  test("cancel from a mutation and from an action; a canceled job never runs", async () => {
    const canceled = await call("jobs:enqueueAndCancel");
    const fromAction = await call("jobs:fromAction");
    expect(fromAction.success).toBe(true);
    // Actions see the real time, queries and mutations the runner's clock.
    await scheduler.runDue(Math.max(clock.now(), Date.now()) + 10);
    const states = await jobStates();
    expect(canceled.success && states[canceled.value as string]).toBe(
      "canceled",
    );
    expect(fromAction.success && states[fromAction.value as string]).toBe(
      "success",
    );
    const all = await tags();
    expect(all).toContain("from action");
    expect(all).not.toContain("dropped");
    expect(all).not.toContain("canceled");
  });

  test("a scheduled mutation cannot cancel itself", async () => {
    await fixture.database.runInTransaction((tx) =>
      scheduleJob(tx, {
        name: "jobs.js:selfCancel",
        args: {},
        scheduledTime: 0,
      }),
    );
    await scheduler.runDue(clock.now());
    expect(await tags()).toContain("A mutation cannot cancel itself");
  });
});
