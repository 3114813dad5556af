import { describe, expect, test } from "vitest";
import type { Document } from "../../values/value.js";
import { createArrayIndexReader } from "./array-index-reader.test-support.js";
import { parseQueryPlan } from "./query-plan.js";
import { openQueryStream, type QueryStream } from "./query-stream.js";

const messages: Document[] = [
  { _id: "m3", _creationTime: 30, channel: "b", n: 3n },
  { _id: "m1", _creationTime: 10, channel: "a", n: 1n },
  { _id: "m5", _creationTime: 50, channel: "a", n: 5n },
  { _id: "m2", _creationTime: 20, channel: "b", n: 2n },
  { _id: "m4", _creationTime: 40, channel: "a", n: 4n },
];

function reader() {
  return createArrayIndexReader([
    {
      name: "messages",
      indexes: { by_channel: ["channel"] },
      documents: messages,
    },
  ]);
}

function scanQuery(order: string | null, operators: unknown[] = []) {
  return parseQueryPlan({
    source: { type: "FullTableScan", tableName: "messages", order },
    operators,
  });
}

const isEven = {
  $eq: [
    { $mod: [{ $field: "n" }, { $literal: { $integer: "AgAAAAAAAAA=" } }] },
    { $literal: { $integer: "AAAAAAAAAAA=" } },
  ],
};

async function collect(stream: QueryStream): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const doc = await stream.next();
    if (doc === null) return ids;
    ids.push(doc._id);
  }
}

describe("openQueryStream", () => {
  test("scans a table in _creationTime order through by_creation_time", async () => {
    const r = reader();
    expect(await collect(openQueryStream(r, scanQuery(null)))).toEqual([
      "m1",
      "m2",
      "m3",
      "m4",
      "m5",
    ]);
    expect(await collect(openQueryStream(r, scanQuery("desc")))).toEqual([
      "m5",
      "m4",
      "m3",
      "m2",
      "m1",
    ]);
    expect(r.scans[0]?.index.indexName).toBe("by_creation_time");
  });

  test("scans an index range in index order, ties broken by _creationTime", async () => {
    const plan = (order: string) =>
      parseQueryPlan({
        source: {
          type: "IndexRange",
          indexName: "messages.by_channel",
          order,
          range: [{ type: "Eq", fieldPath: "channel", value: "a" }],
        },
        operators: [],
      });
    expect(await collect(openQueryStream(reader(), plan("asc")))).toEqual([
      "m1",
      "m4",
      "m5",
    ]);
    expect(await collect(openQueryStream(reader(), plan("desc")))).toEqual([
      "m5",
      "m4",
      "m1",
    ]);
  });

  test("applies operators in order: filter then limit differs from limit then filter", async () => {
    const filterThenLimit = scanQuery("asc", [
      { filter: isEven },
      { limit: 1 },
    ]);
    const limitThenFilter = scanQuery("asc", [
      { limit: 1 },
      { filter: isEven },
    ]);
    expect(await collect(openQueryStream(reader(), filterThenLimit))).toEqual([
      "m2",
    ]);
    expect(await collect(openQueryStream(reader(), limitThenFilter))).toEqual(
      [],
    );
    const stacked = scanQuery("desc", [
      { limit: 4 },
      { filter: isEven },
      { limit: 1 },
    ]);
    expect(await collect(openQueryStream(reader(), stacked))).toEqual(["m4"]);
  });

  test("reads lazily, one document per next(), and stays done", async () => {
    const r = reader();
    const stream = openQueryStream(r, scanQuery("asc", [{ limit: 2 }]));
    expect(r.scans).toHaveLength(0);
    expect((await stream.next())?._id).toBe("m1");
    expect(r.scans[0]?.yielded).toBe(1);
    expect((await stream.next())?._id).toBe("m2");
    expect(await stream.next()).toBeNull();
    expect(await stream.next()).toBeNull();
    expect(r.scans[0]?.yielded).toBe(2);
  });

  test("overlapping next() calls are served in call order", async () => {
    const stream = openQueryStream(reader(), scanQuery("asc", [{ limit: 3 }]));
    const results = await Promise.all([
      stream.next(),
      stream.next(),
      stream.next(),
      stream.next(),
    ]);
    expect(results.map((d) => d?._id ?? null)).toEqual([
      "m1",
      "m2",
      "m3",
      null,
    ]);
  });

  test("a limit of zero reads nothing", async () => {
    const r = reader();
    expect(
      await collect(openQueryStream(r, scanQuery("asc", [{ limit: 0 }]))),
    ).toEqual([]);
    expect(r.scans).toHaveLength(0);
  });

  test("close() releases the scan, is idempotent, and ends the stream", async () => {
    const r = reader();
    const stream = openQueryStream(r, scanQuery("asc"));
    await stream.next();
    stream.close();
    stream.close();
    expect(r.scans[0]?.returned).toBe(true);
    expect(await stream.next()).toBeNull();
    openQueryStream(r, scanQuery("asc")).close();
    expect(r.scans).toHaveLength(1);
  });

  test("returns nothing for a table that does not exist", async () => {
    const plan = parseQueryPlan({
      source: { type: "FullTableScan", tableName: "ghosts", order: null },
      operators: [],
    });
    expect(await collect(openQueryStream(reader(), plan))).toEqual([]);
  });

  test("refuses unknown indexes with IndexNotFoundError", () => {
    const plan = parseQueryPlan({
      source: {
        type: "IndexRange",
        indexName: "messages.by_author",
        order: null,
        range: [],
      },
      operators: [],
    });
    expect(() => openQueryStream(reader(), plan)).toThrow(
      expect.objectContaining({
        shortMsg: "IndexNotFoundError",
        message: "Index messages.by_author not found.",
      }),
    );
  });

  test("reports index range errors when opened", () => {
    const plan = parseQueryPlan({
      source: {
        type: "IndexRange",
        indexName: "messages.by_channel",
        order: null,
        range: [{ type: "Eq", fieldPath: "author", value: "x" }],
      },
      operators: [],
    });
    expect(() => openQueryStream(reader(), plan)).toThrow(
      expect.objectContaining({ shortMsg: "FieldNotInIndex" }),
    );
  });

  test("refuses a search on a table without that search index, and a search that does not start with q.search", () => {
    const search = (filters: unknown[]) =>
      parseQueryPlan({
        source: { type: "Search", indexName: "messages.search_body", filters },
        operators: [],
      });
    const text = { type: "Search", fieldPath: "body", value: "hi" };
    expect(() => openQueryStream(reader(), search([text]))).toThrow(
      expect.objectContaining({
        code: "BadRequest",
        shortMsg: "IndexNotFoundError",
      }),
    );
    const withIndex = createArrayIndexReader([
      {
        name: "messages",
        searchIndexes: {
          search_body: { searchField: "body", filterFields: ["channel"] },
        },
        documents: [],
      },
    ]);
    const eq = { type: "Eq", fieldPath: "channel", value: "a" };
    expect(() => openQueryStream(withIndex, search([eq, text]))).toThrow(
      expect.objectContaining({ shortMsg: "InvalidSearchQuery" }),
    );
    expect(() =>
      openQueryStream(withIndex, search([{ ...text, fieldPath: "channel" }])),
    ).toThrow(/does not match the search field "body"/);
  });

  test("surfaces filter evaluation errors from next()", async () => {
    const stream = openQueryStream(
      reader(),
      scanQuery("asc", [{ filter: { $field: "channel" } }]),
    );
    await expect(stream.next()).rejects.toThrow(
      'Cannot use value "a" (type String) as a Boolean',
    );
  });
});
