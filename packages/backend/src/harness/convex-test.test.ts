import { describe, expect, test } from "vitest";
import { anyApi } from "convex/server";
import { ConvexError } from "convex/values";
import { convexTest } from "./convex-test.js";
import { api, internal } from "./fixtures/convex/_generated/api.js";
import schema from "./fixtures/convex/schema.js";
import { modules } from "./fixtures/modules.js";

describe("convexTest", () => {
  test("a mutation's writes are visible to a later query", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(api.messages.send, { author: "ada", body: "hi" });
    const messages = await t.query(api.messages.list);
    expect(messages).toMatchObject([{ author: "ada", body: "hi" }]);
  });

  test("each instance starts with an empty database", async () => {
    const first = convexTest(schema, modules);
    await first.mutation(api.messages.send, { author: "ada", body: "hi" });
    const second = convexTest(schema, modules);
    expect(await second.query(api.messages.list)).toEqual([]);
  });

  test("ids are in Convex's format, not the mock's table-name form", async () => {
    const t = convexTest(schema, modules);
    const id = await t.mutation(api.messages.send, { author: "a", body: "b" });
    expect(id).toMatch(/^[0-9a-z]{31,37}$/);
    expect(id).not.toContain("messages");
  });

  test("internal functions and anyApi references can be called", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(anyApi.messages!.send!, { author: "a", body: "b" });
    await t.mutation(internal.messages.removeAll);
    expect(await t.query(api.messages.list)).toEqual([]);
  });

  test("queries read through indexes", async () => {
    const t = convexTest(schema, modules);
    for (const author of ["ada", "bob", "ada"]) {
      await t.mutation(api.messages.send, { author, body: author });
    }
    const ada = await t.query(api.messages.byAuthor, { author: "ada" });
    expect(ada.map((m: { author: string }) => m.author)).toEqual([
      "ada",
      "ada",
    ]);
  });

  test("paginate returns pages with an opaque continue cursor", async () => {
    const t = convexTest(schema, modules);
    for (let i = 0; i < 5; i++) {
      await t.mutation(api.messages.send, { author: `a${i}`, body: "x" });
    }
    const first = await t.query(api.messages.page, {
      paginationOpts: { numItems: 3, cursor: null },
    });
    expect(first.page).toHaveLength(3);
    expect(first.isDone).toBe(false);
    expect(() => JSON.parse(first.continueCursor) as unknown).toThrow();
    const second = await t.query(api.messages.page, {
      paginationOpts: { numItems: 3, cursor: first.continueCursor },
    });
    expect(second.page).toHaveLength(2);
    expect(second.isDone).toBe(true);
  });

  test("an index range that skips a field fails with Convex's message", async () => {
    const t = convexTest(schema, modules);
    await expect(t.query(api.messages.badRange)).rejects.toThrow(
      /Uncaught Error: .*by_channel_author/,
    );
  });

  test("invalid arguments fail with ArgumentValidationError", async () => {
    const t = convexTest(schema, modules);
    await expect(
      t.mutation(api.messages.send, { author: 1, body: "b" } as never),
    ).rejects.toThrow(/ArgumentValidationError/);
  });

  test("a return value that does not match `returns` fails", async () => {
    const t = convexTest(schema, modules);
    await expect(t.query(api.messages.wrongReturn)).rejects.toThrow(
      /ReturnsValidationError/,
    );
  });

  test("a failed mutation commits nothing and its error reaches the test", async () => {
    const t = convexTest(schema, modules);
    await expect(t.mutation(api.messages.fails)).rejects.toThrow(/boom/);
    expect(await t.query(api.messages.list)).toEqual([]);
  });

  test("a ConvexError keeps its data", async () => {
    const t = convexTest(schema, modules);
    const error: unknown = await t
      .mutation(api.messages.sendAsMe, { body: "b" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<{ code: string }>).data).toEqual({
      code: "unauthenticated",
    });
  });

  test("unknown functions fail with Convex's message", async () => {
    const t = convexTest(schema, modules);
    await expect(t.query(anyApi.messages!.nope!)).rejects.toThrow(
      "Could not find function for 'messages:nope'",
    );
  });
});

describe("convexTest inline functions", () => {
  test("t.run gives a mutation ctx and returns the handler's value as is", async () => {
    const t = convexTest(schema, modules);
    const result = await t.run(async (ctx) => {
      const id = await ctx.db.insert("messages", { author: "a", body: "b" });
      return { id, doc: await ctx.db.get(id), when: new Date(0) };
    });
    expect(result.doc).toMatchObject({ author: "a", body: "b" });
    expect(result.when).toBeInstanceOf(Date);
  });

  test("t.run sees system tables through ctx.db.system", async () => {
    const t = convexTest(schema, modules);
    const rows = await t.run((ctx) =>
      ctx.db.system.query("_storage").collect(),
    );
    expect(rows).toEqual([]);
  });

  test("t.query and t.action accept inline handlers", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(api.messages.send, { author: "a", body: "b" });
    expect(
      await t.query((ctx) => ctx.db.query("messages").collect()),
    ).toHaveLength(1);
    const count = await t.action((ctx) => ctx.runQuery(api.messages.list, {}));
    expect(count).toHaveLength(1);
  });

  test("an inline handler's own error object is rethrown", async () => {
    const t = convexTest(schema, modules);
    class Marker extends Error {}
    await expect(
      t.run(() => {
        throw new Marker("mine");
      }),
    ).rejects.toBeInstanceOf(Marker);
  });

  test("writes in a failed t.run are rolled back", async () => {
    const t = convexTest(schema, modules);
    await t
      .run(async (ctx) => {
        await ctx.db.insert("messages", { author: "a", body: "b" });
        throw new Error("undo");
      })
      .catch(() => undefined);
    expect(await t.query(api.messages.list)).toEqual([]);
  });
});

describe("convexTest identities", () => {
  test("withIdentity fills in subject, issuer and tokenIdentifier", async () => {
    const t = convexTest(schema, modules);
    const asAda = t.withIdentity({ name: "Ada" });
    const me = await asAda.query(api.messages.whoAmI);
    expect(me).toMatchObject({ name: "Ada" });
    expect(me?.tokenIdentifier).toMatch(/^https:\/\/convex\.test\|.+/);
    expect(await t.query(api.messages.whoAmI)).toBeNull();
  });

  test("an identity accessor shares the database", async () => {
    const t = convexTest(schema, modules);
    await t
      .withIdentity({ subject: "u1" })
      .mutation(api.messages.sendAsMe, { body: "b" });
    expect(await t.query(api.messages.list)).toMatchObject([{ author: "u1" }]);
  });

  test("an explicit tokenIdentifier is kept", async () => {
    const t = convexTest(schema, modules).withIdentity({
      tokenIdentifier: "tok",
    });
    expect(await t.query(api.messages.whoAmI)).toMatchObject({
      tokenIdentifier: "tok",
    });
  });
});

describe("convexTest actions and HTTP", () => {
  test("actions call queries and mutations", async () => {
    const t = convexTest(schema, modules);
    expect(
      await t.action(api.actions.sendAndCount, { author: "a", body: "b" }),
    ).toBe(1);
    await t.action(api.actions.clear);
    expect(await t.query(api.messages.list)).toEqual([]);
  });

  test("user code sees the test's process.env", async () => {
    const t = convexTest(schema, modules);
    process.env["HULL_HARNESS_TEST_VAR"] = "set";
    try {
      expect(
        await t.action(api.actions.readEnv, { name: "HULL_HARNESS_TEST_VAR" }),
      ).toBe("set");
    } finally {
      delete process.env["HULL_HARNESS_TEST_VAR"];
    }
  });

  test("t.fetch routes to HTTP actions", async () => {
    const t = convexTest(schema, modules);
    const response = await t.fetch("/messages", {
      method: "POST",
      body: JSON.stringify({ author: "a", body: "b" }),
    });
    expect(response.status).toBe(201);
    expect(await t.query(api.messages.list)).toHaveLength(1);
    const echo = await t.fetch("/echo/x/y");
    expect(await echo.text()).toBe("/echo/x/y");
  });

  test("t.fetch answers 404 when no route matches", async () => {
    const t = convexTest(schema, modules);
    const response = await t.fetch("/nowhere");
    expect(response.status).toBe(404);
    await expect(t.fetch("relative")).rejects.toThrow("must start with a `/`");
  });

  test("registering a component fails with a clear error", () => {
    const t = convexTest(schema, modules);
    expect(() => t.registerComponent("c", undefined, {})).toThrow(
      /components are not supported/,
    );
  });
});
