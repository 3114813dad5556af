import { createFunctionHandle } from "convex/server";
import { afterEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "./convex-test.js";
import { api } from "./fixtures/convex/_generated/api.js";
import schema from "./fixtures/convex/schema.js";
import { modules } from "./fixtures/modules.js";

describe("convexTest scheduled functions", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a job scheduled for later runs once fake timers reach it", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    await t.mutation(api.jobs.later, { kind: "a", delayMs: 10_000 });
    const pending = await t.run((ctx) =>
      ctx.db.system.query("_scheduled_functions").collect(),
    );
    expect(pending).toMatchObject([
      { name: "jobs.js:record", state: { kind: "pending" } },
    ]);
    vi.advanceTimersByTime(5_000);
    await t.finishInProgressScheduledFunctions();
    expect(await t.query(api.jobs.events)).toEqual([]);
    vi.advanceTimersByTime(5_000);
    await t.finishInProgressScheduledFunctions();
    expect(await t.query(api.jobs.events)).toMatchObject([{ kind: "a" }]);
    const done = await t.run((ctx) =>
      ctx.db.system.query("_scheduled_functions").collect(),
    );
    expect(done).toMatchObject([{ state: { kind: "success" } }]);
  });

  test("a function handle is called and scheduled like the reference it was made from", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    const handle = await t.action(async (ctx) => {
      const send = await createFunctionHandle(api.messages.send);
      await ctx.runMutation(send, { author: "h", body: "now" });
      await ctx.scheduler.runAfter(1_000, send, { author: "h", body: "later" });
      return send;
    });
    expect(handle).toMatch(/^function:\/\//);
    expect((await t.query(api.messages.list)).map((m) => m.body)).toEqual([
      "now",
    ]);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect((await t.query(api.messages.list)).map((m) => m.body)).toEqual([
      "now",
      "later",
    ]);
    await expect(
      t.action((ctx) =>
        ctx.runMutation("function://" as typeof handle, {
          author: "x",
          body: "y",
        }),
      ),
    ).rejects.toThrow(/Invalid function handle/);
  });

  test("finishAllScheduledFunctions runs jobs scheduled by jobs", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    await t.mutation(api.jobs.chain, { depth: 3 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const kinds = (await t.query(api.jobs.events)).map((e) => e.kind);
    expect(kinds).toEqual(["step3", "step2", "step1"]);
  });

  test("scheduled actions run and call mutations", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    await t.mutation(api.jobs.viaAction, { kind: "x" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.jobs.events)).toMatchObject([
      { kind: "x-action" },
    ]);
  });

  test("without fake timers a job due now runs on its own", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(api.jobs.later, { kind: "now", delayMs: 0 });
    await t.finishAllScheduledFunctions(() => {});
    expect(await t.query(api.jobs.events)).toMatchObject([{ kind: "now" }]);
  });

  test("scheduled functions run without the scheduling caller's identity", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    await t.withIdentity({ subject: "ada" }).mutation(api.jobs.laterAsCaller);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.jobs.events)).toMatchObject([
      { kind: "anonymous" },
    ]);
  });

  test("finishAllScheduledFunctions fails after too many rounds", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(api.jobs.later, { kind: "far", delayMs: 3_600_000 });
    await expect(t.finishAllScheduledFunctions(() => {}, 3)).rejects.toThrow(
      /too many iterations/,
    );
  });
});

describe("convexTest file storage", () => {
  test("actions store and read files; _storage holds their metadata", async () => {
    const t = convexTest(schema, modules);
    const id = await t.action(api.files.upload, { text: "hello" });
    expect(await t.action(api.files.read, { id })).toBe("hello");
    expect(await t.query(api.files.metadata, { id })).toMatchObject({
      size: 5,
      contentType: "text/plain",
    });
  });
});
