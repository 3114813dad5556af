import { afterEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "./convex-test.js";
import { api } from "./fixtures/convex/_generated/api.js";
import schema from "./fixtures/convex/schema.js";
import { modules } from "./fixtures/modules.js";

describe("convexTest where Hull follows the real backend", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("conflicting concurrent mutations are retried and end serializable", async () => {
    const t = convexTest(schema, modules);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.mutation(api.counters.increment, { name: "c" }),
      ),
    );
    expect([...results].sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(await t.query(api.counters.get, { name: "c" })).toBe(10);
  });

  test("withSearchIndex ranks by relevance on the real engine", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(api.messages.send, { author: "a", body: "hello world" });
    await t.mutation(api.messages.send, { author: "b", body: "hello hello" });
    await t.mutation(api.messages.send, { author: "a", body: "goodbye" });
    const found = await t.run((ctx) =>
      ctx.db
        .query("messages")
        .withSearchIndex("search_body", (q) => q.search("body", "hello"))
        .collect(),
    );
    expect(found.map((m) => m.body)).toEqual(["hello hello", "hello world"]);
    const byA = await t.run((ctx) =>
      ctx.db
        .query("messages")
        .withSearchIndex("search_body", (q) =>
          q.search("body", "hel").eq("author", "a"),
        )
        .collect(),
    );
    expect(byA.map((m) => m.body)).toEqual(["hello world"]);
  });

  test("a document over 1 MiB fails with Convex's error", async () => {
    const t = convexTest(schema, modules);
    await expect(
      t.mutation(api.counters.storeBlob, { size: 1024 * 1024 + 10 }),
    ).rejects.toThrow(/too large/i);
  });

  test("transactionLimits lower the per-transaction limits", async () => {
    const t = convexTest({
      schema,
      modules,
      transactionLimits: { documentsWritten: 2 },
    });
    await expect(
      t.run(async (ctx) => {
        for (let i = 0; i < 3; i++) {
          await ctx.db.insert("events", { kind: "k", at: i });
        }
      }),
    ).rejects.toThrow(/Too many (documents|writes)/i);
  });

  test("functions run while vitest's fake timers are installed", async () => {
    vi.useFakeTimers();
    const t = convexTest(schema, modules);
    await t.mutation(api.messages.send, { author: "a", body: "b" });
    expect(await t.query(api.messages.list)).toHaveLength(1);
  });

  test("Date.now inside functions follows the fake clock", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const t = convexTest(schema, modules);
    const now = await t.mutation(() => Date.now());
    expect(now).toBe(Date.UTC(2030, 0, 1));
  });

  test("fetch is refused inside queries and mutations", async () => {
    const t = convexTest(schema, modules);
    await expect(t.query(() => fetch("http://127.0.0.1:1/"))).rejects.toThrow(
      "Can't use fetch() in queries and mutations",
    );
  });
});

describe("convexTest instances", () => {
  test("creating an instance does no work until its first call", () => {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) convexTest(schema, modules);
    // A thousand lazy instances take well under a millisecond each, even on a loaded machine.
    expect((performance.now() - start) / 1000).toBeLessThan(0.1);
  });

  test("instances created together stay isolated", async () => {
    const [a, b] = [convexTest(schema, modules), convexTest(schema, modules)];
    await Promise.all([
      a.mutation(api.messages.send, { author: "a", body: "1" }),
      b.mutation(api.messages.send, { author: "b", body: "2" }),
    ]);
    expect(await a.query(api.messages.list)).toMatchObject([{ author: "a" }]);
    expect(await b.query(api.messages.list)).toMatchObject([{ author: "b" }]);
  });
});
