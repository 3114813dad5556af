/**
 * Drives the official `convex` package's query builders against this layer: a fake `Convex`
 * global answers the `queryStream` / `queryStreamNext` / `queryCleanup` / `queryPage` syscalls
 * with `parseQueryPlan`, `openQueryStream` and `runQueryPage`, so the JSON under test is exactly
 * what convex-js 1.48 sends.
 */
import {
  defineSchema,
  defineTable,
  queryGeneric,
  type DataModelFromSchemaDefinition,
  type GenericQueryCtx,
  type PaginationResult,
} from "convex/server";
import { v } from "convex/values";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { convexToJson } from "../../values/json.js";
import type { Document, JsonValue } from "../../values/value.js";
import { createArrayIndexReader } from "./array-index-reader.test-support.js";
import { createCursorCodec } from "./cursor.js";
import type { IndexReader } from "./index-reader.js";
import { parseQueryPageArgs, runQueryPage } from "./pagination.js";
import { parseQueryPlan } from "./query-plan.js";
import { openQueryStream, type QueryStream } from "./query-stream.js";

const schema = defineSchema({
  users: defineTable({
    name: v.string(),
    age: v.int64(),
    tags: v.optional(v.object({ admin: v.boolean() })),
  }).index("by_name_age", ["name", "age"]),
  posts: defineTable({ title: v.string(), section: v.string() }).searchIndex(
    "search_title",
    { searchField: "title", filterFields: ["section"] },
  ),
});
type DataModel = DataModelFromSchemaDefinition<typeof schema>;
type Ctx = GenericQueryCtx<DataModel>;
type User = DataModel["users"]["document"];

const users: Document[] = [
  { _id: "u1", _creationTime: 1, name: "ann", age: 31n, tags: { admin: true } },
  { _id: "u2", _creationTime: 2, name: "bob", age: 4n },
  { _id: "u3", _creationTime: 3, name: "bob", age: 12n },
  { _id: "u4", _creationTime: 4, name: "bob", age: 7n },
  { _id: "u5", _creationTime: 5, name: "cyd", age: 7n },
];

const posts: Document[] = [
  { _id: "p1", _creationTime: 1, title: "Red apples", section: "food" },
  {
    _id: "p2",
    _creationTime: 2,
    title: "apple pie, apple tart",
    section: "food",
  },
  {
    _id: "p3",
    _creationTime: 3,
    title: "Apple releases a phone",
    section: "tech",
  },
  { _id: "p4", _creationTime: 4, title: "Pears", section: "food" },
  { _id: "p5", _creationTime: 5, title: "applesauce", section: "food" },
];

const codec = createCursorCodec(new Uint8Array(32).fill(9));
let openStreams = 0;

function installConvex(reader: IndexReader) {
  const streams = new Map<number, QueryStream>();
  let nextId = 0;
  const encode = (doc: Document | null) =>
    doc === null ? null : convexToJson(doc);
  (globalThis as Record<string, unknown>)["Convex"] = {
    syscall(op: string, argsJson: string): string {
      const args = JSON.parse(argsJson) as { query: unknown; queryId: number };
      if (op === "1.0/queryStream") {
        const id = nextId++;
        streams.set(id, openQueryStream(reader, parseQueryPlan(args.query)));
        openStreams += 1;
        return JSON.stringify({ queryId: id });
      }
      if (op === "1.0/queryCleanup") {
        streams.get(args.queryId)?.close();
        if (streams.delete(args.queryId)) openStreams -= 1;
        return JSON.stringify(true);
      }
      throw new Error(`unexpected syscall ${op}`);
    },
    async asyncSyscall(op: string, argsJson: string): Promise<string> {
      const args = JSON.parse(argsJson) as { queryId: number; query: unknown };
      if (op === "1.0/queryStreamNext") {
        const doc = (await streams.get(args.queryId)?.next()) ?? null;
        return JSON.stringify({ value: encode(doc), done: doc === null });
      }
      if (op === "1.0/queryPage") {
        const result = await runQueryPage(
          reader,
          codec,
          parseQueryPageArgs(args),
        );
        return JSON.stringify({ ...result, page: result.page.map(encode) });
      }
      throw new Error(`unexpected async syscall ${op}`);
    },
  };
}

async function run<T>(handler: (ctx: Ctx) => Promise<T>): Promise<T> {
  const definition = { handler } as unknown as Parameters<
    typeof queryGeneric
  >[0];
  const fn = queryGeneric(definition) as unknown as {
    invokeQuery(argsJson: string): Promise<string>;
  };
  const result = JSON.parse(
    await fn.invokeQuery(JSON.stringify([{}])),
  ) as JsonValue;
  return result as T;
}

const idsOf = (docs: { _id: string }[]) => docs.map((d) => d._id);

describe("the query layer driven by the convex package", () => {
  beforeEach(() => {
    openStreams = 0;
    // The reader gets its indexes from the schema, as a deployment would.
    const indexes = Object.fromEntries(
      schema.tables.users[" indexes"]().map((i) => [
        i.indexDescriptor,
        i.fields,
      ]),
    );
    installConvex(
      createArrayIndexReader([
        { name: "users", indexes, documents: users },
        {
          name: "posts",
          searchIndexes: {
            search_title: { searchField: "title", filterFields: ["section"] },
          },
          documents: posts,
        },
      ]),
    );
  });

  afterEach(() => {
    delete (globalThis as Record<string, unknown>)["Convex"];
  });

  test("collects a full table scan with order and filter", async () => {
    const result = await run((ctx) =>
      ctx.db
        .query("users")
        .order("desc")
        .filter((q) =>
          q.or(q.eq(q.field("name"), "ann"), q.gt(q.field("age"), 10n)),
        )
        .collect(),
    );
    expect(idsOf(result)).toEqual(["u3", "u1"]);
    expect(openStreams).toBe(0);
  });

  test("runs withIndex ranges, take, first and unique", async () => {
    const range = await run((ctx) =>
      ctx.db
        .query("users")
        .withIndex("by_name_age", (q) =>
          q.eq("name", "bob").gt("age", 4n).lte("age", 12n),
        )
        .order("desc")
        .take(5),
    );
    expect(idsOf(range)).toEqual(["u3", "u4"]);
    const first = await run((ctx) =>
      ctx.db
        .query("users")
        .withIndex("by_name_age", (q) => q.eq("name", "bob"))
        .first(),
    );
    expect(first).toMatchObject({ _id: "u2" });
    await expect(
      run((ctx) =>
        ctx.db
          .query("users")
          .withIndex("by_name_age", (q) => q.eq("name", "bob"))
          .unique(),
      ),
    ).rejects.toThrow("unique() query returned more than one result");
  });

  test("filters on nested fields, missing fields and arithmetic", async () => {
    const admins = await run((ctx) =>
      ctx.db
        .query("users")
        .filter((q) => q.eq(q.field("tags.admin"), true))
        .collect(),
    );
    expect(idsOf(admins)).toEqual(["u1"]);
    const untagged = await run((ctx) =>
      ctx.db
        .query("users")
        .filter((q) => q.eq(q.field("tags"), undefined))
        .collect(),
    );
    expect(idsOf(untagged)).toEqual(["u2", "u3", "u4", "u5"]);
    const math = await run((ctx) =>
      ctx.db
        .query("users")
        .filter((q) =>
          q.and(
            q.eq(q.mod(q.field("age"), 2n), 1n),
            q.lt(q.neg(q.field("age")), -5n),
          ),
        )
        .collect(),
    );
    expect(idsOf(math)).toEqual(["u1", "u4", "u5"]);
  });

  test("breaking out of an iteration cleans the stream up", async () => {
    const seen = await run(async (ctx) => {
      const ids: string[] = [];
      for await (const doc of ctx.db.query("users")) {
        ids.push(doc._id);
        if (ids.length === 2) break;
      }
      return ids;
    });
    expect(seen).toEqual(["u1", "u2"]);
    expect(openStreams).toBe(0);
  });

  test("paginates with cursors the package passes back unchanged", async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    for (;;) {
      const c: string | null = cursor;
      const result: PaginationResult<User> = await run((ctx) =>
        ctx.db
          .query("users")
          .withIndex("by_name_age", (q) => q.gte("name", "bob"))
          .paginate({ numItems: 2, cursor: c }),
      );
      pages.push(idsOf(result.page));
      expect(typeof result.continueCursor).toBe("string");
      if (result.isDone) break;
      cursor = result.continueCursor;
    }
    expect(pages).toEqual([["u2", "u4"], ["u3", "u5"], []]);
  });

  test("reports Convex's index range errors", async () => {
    await expect(
      run((ctx) =>
        ctx.db
          .query("users")
          // The builder's types forbid this; untyped callers can still send it.
          .withIndex("by_name_age", (q) =>
            (q.eq("name", "bob") as unknown as typeof q).eq("name", "ann"),
          )
          .collect(),
      ),
    ).rejects.toThrow(
      `Already defined equality bound in index range. Can't add "name" == "bob".`,
    );
  });

  test("withSearchIndex ranks by relevance, filters with eq, and takes, firsts and paginates", async () => {
    const apple = await run((ctx) =>
      ctx.db
        .query("posts")
        .withSearchIndex("search_title", (q) => q.search("title", "apple pie"))
        .collect(),
    );
    expect(idsOf(apple)).toEqual(["p2", "p3"]);
    const typing = await run((ctx) =>
      ctx.db
        .query("posts")
        .withSearchIndex("search_title", (q) =>
          q.search("title", "appl").eq("section", "food"),
        )
        .filter((q) => q.neq(q.field("title"), "Red apples"))
        .take(5),
    );
    expect(idsOf(typing)).toEqual(["p5", "p2"]);
    const first = await run((ctx) =>
      ctx.db
        .query("posts")
        .withSearchIndex("search_title", (q) => q.search("title", "phone"))
        .first(),
    );
    expect(first).toMatchObject({ _id: "p3" });
    const pages: string[][] = [];
    let cursor: string | null = null;
    for (;;) {
      const c: string | null = cursor;
      const result: PaginationResult<{ _id: string }> = await run((ctx) =>
        ctx.db
          .query("posts")
          .withSearchIndex("search_title", (q) => q.search("title", "ap"))
          .paginate({ numItems: 2, cursor: c }),
      );
      pages.push(idsOf(result.page));
      if (result.isDone) break;
      cursor = result.continueCursor;
    }
    expect(pages.flat().sort()).toEqual(["p1", "p2", "p3", "p5"]);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 0]);
    expect(openStreams).toBe(0);
  });
});
