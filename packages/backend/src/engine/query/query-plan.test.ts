import { describe, expect, test } from "vitest";
import { computeQueryFingerprint, sameFingerprint } from "./cursor.js";
import { parseQueryPlan, serializeQueryPlan } from "./query-plan.js";

/** The reference's probe of `withIndex("by_name", q => q.eq(…).gt(…).lte(…)).order("desc")…`. */
const PROBE = {
  source: {
    type: "IndexRange",
    indexName: "users.by_name",
    order: "desc",
    range: [
      { type: "Eq", fieldPath: "name", value: "bob" },
      { type: "Gt", fieldPath: "age", value: { $integer: "AwAAAAAAAAA=" } },
      { type: "Lte", fieldPath: "age", value: 10 },
    ],
  },
  operators: [
    { filter: { $eq: [{ $field: "name" }, { $literal: "bob" }] } },
    { limit: 5 },
  ],
};

function invalid(json: unknown): { shortMsg: string; message: string } {
  try {
    parseQueryPlan(json);
  } catch (e) {
    return e as { shortMsg: string; message: string };
  }
  throw new Error("expected an error");
}

describe("parseQueryPlan", () => {
  test("parses an index range query as the package sends it", () => {
    const plan = parseQueryPlan(PROBE);
    expect(plan.source).toEqual({
      type: "IndexRange",
      tableName: "users",
      indexName: "by_name",
      order: "desc",
      range: [
        { type: "Eq", fieldPath: ["name"], value: "bob" },
        { type: "Gt", fieldPath: ["age"], value: 3n },
        { type: "Lte", fieldPath: ["age"], value: 10 },
      ],
    });
    expect(plan.operators[1]).toEqual({ type: "limit", limit: 5 });
    expect(plan.operators[0]?.type).toBe("filter");
  });

  test("reads a null or absent order as ascending", () => {
    const scan = (order: unknown) =>
      parseQueryPlan({
        source: { type: "FullTableScan", tableName: "t", order },
        operators: [],
      }).source;
    expect(scan(null)).toEqual({
      type: "FullTableScan",
      tableName: "t",
      order: "asc",
    });
    expect(scan(undefined)).toEqual(scan("asc"));
    expect(
      invalid({
        source: { type: "FullTableScan", tableName: "t", order: "up" },
        operators: [],
      }),
    ).toEqual(expect.objectContaining({ shortMsg: "InvalidQuery" }));
  });

  test("parses range values of $undefined as missing", () => {
    const plan = parseQueryPlan({
      source: {
        type: "IndexRange",
        indexName: "t.by_a",
        order: null,
        range: [{ type: "Eq", fieldPath: "a.b", value: { $undefined: null } }],
      },
      operators: [],
    });
    expect(plan.source).toMatchObject({
      range: [{ type: "Eq", fieldPath: ["a", "b"], value: undefined }],
    });
  });

  test("parses search sources", () => {
    const plan = parseQueryPlan({
      source: {
        type: "Search",
        indexName: "messages.search_body",
        filters: [
          { type: "Search", fieldPath: "body", value: "hello" },
          { type: "Eq", fieldPath: "channel", value: "#general" },
        ],
      },
      operators: [{ limit: 1 }],
    });
    expect(plan.source).toEqual({
      type: "Search",
      tableName: "messages",
      indexName: "search_body",
      filters: [
        { type: "Search", fieldPath: ["body"], value: "hello" },
        { type: "Eq", fieldPath: ["channel"], value: "#general" },
      ],
    });
  });

  test("accepts 256 operators and refuses 257", () => {
    const scan = { type: "FullTableScan", tableName: "t", order: null };
    const ops = (n: number) => Array.from({ length: n }, () => ({ limit: 1 }));
    expect(
      parseQueryPlan({ source: scan, operators: ops(256) }).operators,
    ).toHaveLength(256);
    expect(invalid({ source: scan, operators: ops(257) }).shortMsg).toBe(
      "TooManyOperators",
    );
  });

  test("refuses malformed queries with BadRequest and a clear message", () => {
    const scan = { type: "FullTableScan", tableName: "t", order: null };
    const cases: [unknown, string][] = [
      [null, "the query must be an object"],
      [{ source: scan }, "`operators` must be an array"],
      [
        { source: { type: "Everything" }, operators: [] },
        '`source.type` must be "FullTableScan"',
      ],
      [
        { source: { ...scan, tableName: 5 }, operators: [] },
        "`tableName` must be a string",
      ],
      [
        { source: { ...scan, tableName: "bad-name" }, operators: [] },
        "Invalid table name: Identifier bad-name has invalid character '-'",
      ],
      [
        {
          source: { type: "IndexRange", indexName: "nodot", range: [] },
          operators: [],
        },
        "invalid index name",
      ],
      [
        {
          source: {
            type: "IndexRange",
            indexName: "t.i",
            range: [{ type: "Ne", fieldPath: "a", value: 1 }],
          },
          operators: [],
        },
        "Eq, Gt, Gte, Lt, Lte",
      ],
      [
        {
          source: {
            type: "IndexRange",
            indexName: "t.i",
            range: [{ type: "Eq", fieldPath: "a" }],
          },
          operators: [],
        },
        "missing `value`",
      ],
      [
        { source: scan, operators: [{ limit: -1 }] },
        "`limit` must be a non-negative integer",
      ],
      [
        { source: scan, operators: [{ limit: 1.5 }] },
        "`limit` must be a non-negative integer",
      ],
      [
        { source: scan, operators: [{ skip: 1 }] },
        'must be {"filter": …} or {"limit": n}',
      ],
    ];
    for (const [json, message] of cases) {
      const error = invalid(json);
      expect(error).toEqual(expect.objectContaining({ code: "BadRequest" }));
      expect(error.message).toContain(message);
    }
  });

  test("refuses malformed literal values", () => {
    const error = invalid({
      source: {
        type: "IndexRange",
        indexName: "t.i",
        range: [{ type: "Eq", fieldPath: "a", value: { $integer: 5 } }],
      },
      operators: [],
    });
    expect(error.message).toMatch(/^Invalid literal value in query: /);
  });
});

describe("serializeQueryPlan", () => {
  test("is stable for equal plans and distinguishes different ones", () => {
    const a = JSON.stringify(serializeQueryPlan(parseQueryPlan(PROBE)));
    const b = JSON.stringify(
      serializeQueryPlan(parseQueryPlan(structuredClone(PROBE))),
    );
    expect(a).toBe(b);
    const changed = structuredClone(PROBE);
    changed.operators[1] = { limit: 6 };
    expect(
      JSON.stringify(serializeQueryPlan(parseQueryPlan(changed))),
    ).not.toBe(a);
  });

  test("feeds a fingerprint that also depends on the index fields", () => {
    const plan = parseQueryPlan(PROBE);
    const fields = ["name", "age", "_creationTime", "_id"];
    const f1 = computeQueryFingerprint(plan, fields);
    expect(
      sameFingerprint(
        f1,
        computeQueryFingerprint(parseQueryPlan(PROBE), fields),
      ),
    ).toBe(true);
    expect(
      sameFingerprint(
        f1,
        computeQueryFingerprint(plan, ["name", "_creationTime", "_id"]),
      ),
    ).toBe(false);
  });
});
