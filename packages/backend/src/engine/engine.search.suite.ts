/**
 * Engine suite, search: search and vector indexes kept in the catalog by a schema push,
 * `withSearchIndex` queries in relevance order over the transaction's view, their read sets, and
 * vector search.
 */
import { expect, test } from "vitest";
import type { Document, ObjectValue } from "../values/value.js";
import { insertAll, type EngineSuiteContext } from "./engine-suite-support.js";
import {
  parseVectorSearchQuery,
  runVectorSearch,
} from "./query/vector-search.js";
import {
  parseSchemaExport,
  type SchemaDefinition,
} from "./schema-definition.js";
import type { Transaction } from "./transaction.js";

const stringField = { fieldType: { type: "string" }, optional: false };

/** `messages` with `search_body` (filter: channel) and `by_embedding` (3 dimensions). */
function searchSchema(options: { staged?: boolean } = {}): SchemaDefinition {
  const search = {
    indexDescriptor: "search_body",
    searchField: "body",
    filterFields: ["channel"],
  };
  return parseSchemaExport({
    tables: [
      {
        tableName: "messages",
        indexes: [],
        searchIndexes: options.staged === true ? [] : [search],
        stagedSearchIndexes: options.staged === true ? [search] : [],
        vectorIndexes: [
          {
            indexDescriptor: "by_embedding",
            vectorField: "embedding",
            dimensions: 3,
            filterFields: ["channel"],
          },
        ],
        documentType: {
          type: "object",
          value: {
            body: stringField,
            channel: stringField,
            embedding: {
              fieldType: { type: "array", value: { type: "number" } },
              optional: true,
            },
          },
        },
      },
    ],
    schemaValidation: true,
  });
}

function searchQuery(text: string, channel?: string): unknown {
  return {
    source: {
      type: "Search",
      indexName: "messages.search_body",
      filters: [
        { type: "Search", fieldPath: "body", value: text },
        ...(channel === undefined
          ? []
          : [{ type: "Eq", fieldPath: "channel", value: channel }]),
      ],
    },
    operators: [],
  };
}

async function collect(tx: Transaction, query: unknown): Promise<Document[]> {
  const stream = tx.query(query);
  const documents: Document[] = [];
  for (let d = await stream.next(); d !== null; d = await stream.next())
    documents.push(d);
  return documents;
}

const bodies = (documents: Document[]) => documents.map((d) => d["body"]);

const MESSAGES: ObjectValue[] = [
  { body: "the quick brown fox", channel: "a", embedding: [1, 0, 0] },
  { body: "a lazy dog sleeps", channel: "a", embedding: [0, 1, 0] },
  { body: "Fox! Fox? fox.", channel: "b", embedding: [0.9, 0.1, 0] },
  { body: "brown bread", channel: "b", embedding: [0, 0, 1] },
];

export function describeSearchSuite(ctx: EngineSuiteContext): void {
  test("a search returns matching documents in relevance order, filtered by q.eq", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    await database.runInTransaction((tx) =>
      insertAll(tx, "messages", MESSAGES),
    );
    await database.runInTransaction(async (tx) => {
      expect(bodies(await collect(tx, searchQuery("fox")))).toEqual([
        "Fox! Fox? fox.",
        "the quick brown fox",
      ]);
      expect(bodies(await collect(tx, searchQuery("FOX", "a")))).toEqual([
        "the quick brown fox",
      ]);
      expect(bodies(await collect(tx, searchQuery("sle")))).toEqual([
        "a lazy dog sleeps",
      ]);
      expect(await collect(tx, searchQuery("cat"))).toEqual([]);
      expect(await collect(tx, searchQuery("  "))).toEqual([]);
    });
  });

  test("searches at older and newer snapshots each see their own snapshot, across inserts, patches and deletes", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    const {
      value: [first, second],
    } = await database.runInTransaction((tx) =>
      insertAll(tx, "messages", [
        { body: "fox one", channel: "a" },
        { body: "fox two", channel: "a" },
      ]),
    );
    const search = async (tx: Transaction) =>
      bodies(await collect(tx, searchQuery("fox"))).sort();
    await database.runInTransaction(async (tx) => {
      expect(await search(tx)).toEqual(["fox one", "fox two"]);
    });
    const before = database.begin();
    await database.runInTransaction(async (tx) => {
      await tx.delete(first!);
      await tx.patch(second!, { body: "fox two, patched" });
      await insertAll(tx, "messages", [{ body: "fox three", channel: "b" }]);
    });
    await database.runInTransaction(async (tx) => {
      await insertAll(tx, "messages", [{ body: "no match", channel: "b" }]);
    });
    try {
      expect(await search(before)).toEqual(["fox one", "fox two"]);
    } finally {
      before.close();
    }
    await database.runInTransaction(async (tx) => {
      expect(await search(tx)).toEqual(["fox three", "fox two, patched"]);
    });
  });

  test("a search counts its results as reads and itself as one query, not the table it ranks", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    await database.runInTransaction((tx) =>
      insertAll(
        tx,
        "messages",
        Array.from({ length: 40 }, (_, i) => ({
          body: `fox number ${i}`,
          channel: "a",
        })),
      ),
    );
    for (const warm of [false, true]) {
      const tx = database.begin();
      try {
        const stream = tx.query({
          ...(searchQuery("fox") as object),
          operators: [{ limit: 3 }],
        });
        let found = 0;
        while ((await stream.next()) !== null) found += 1;
        expect(found).toBe(3);
        const metrics = tx.metrics();
        expect({ warm, documents: metrics.documentsRead.used }).toEqual({
          warm,
          documents: 3,
        });
        expect(metrics.databaseQueries.used).toBe(1);
      } finally {
        tx.close();
      }
    }
  });

  test("a search sees its own transaction's writes", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    await database.runInTransaction(async (tx) => {
      await insertAll(tx, "messages", [{ body: "hello world", channel: "a" }]);
      expect(bodies(await collect(tx, searchQuery("hello")))).toEqual([
        "hello world",
      ]);
    });
  });

  test("a search reads the whole table: a later insert conflicts with a searching writer", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    await database.runInTransaction((tx) =>
      insertAll(tx, "messages", MESSAGES),
    );
    const searching = database.begin();
    await collect(searching, searchQuery("unrelated"));
    await searching.insert("messages", { body: "log", channel: "z" });
    await database.runInTransaction((tx) =>
      insertAll(tx, "messages", [{ body: "anything", channel: "q" }]),
    );
    expect((await database.commit(searching)).type).toBe("conflict");
  });

  test("unknown, staged and misused search indexes are refused with clear errors", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema({ staged: true }));
    const staged = database.begin();
    try {
      expect(() => staged.query(searchQuery("x"))).toThrow(/not ready|staged/i);
      expect(() =>
        staged.query({
          source: {
            type: "Search",
            indexName: "messages.nope",
            filters: [{ type: "Search", fieldPath: "body", value: "x" }],
          },
          operators: [],
        }),
      ).toThrow("Index messages.nope not found.");
    } finally {
      staged.close();
    }
    await database.schema.apply(searchSchema());
    await database.runInTransaction(async (tx) => {
      await insertAll(tx, "messages", MESSAGES);
      expect(() =>
        tx.query({
          source: {
            type: "Search",
            indexName: "messages.search_body",
            filters: [
              { type: "Search", fieldPath: "body", value: "x" },
              { type: "Eq", fieldPath: "body", value: "x" },
            ],
          },
          operators: [],
        }),
      ).toThrow(/not in the filterFields/);
      expect(() =>
        tx.query(searchQuery(Array.from({ length: 17 }, () => "w").join(" "))),
      ).toThrow(/more than the maximum of 16/);
    });
  });

  test("search and vector index definitions survive a restart and leave with the schema", async () => {
    const fixture = await ctx.create();
    await fixture.database.schema.apply(searchSchema());
    await fixture.database.runInTransaction((tx) =>
      insertAll(tx, "messages", MESSAGES),
    );
    const reopened = await fixture.reopen();
    await reopened.runInTransaction(async (tx) => {
      expect(bodies(await collect(tx, searchQuery("bread")))).toEqual([
        "brown bread",
      ]);
    });
    await reopened.schema.apply(
      parseSchemaExport({
        tables: [
          {
            tableName: "messages",
            indexes: [],
            documentType: { type: "any" },
          },
        ],
        schemaValidation: false,
      }),
    );
    const tx = reopened.begin();
    try {
      expect(() => tx.query(searchQuery("bread"))).toThrow(
        "Index messages.search_body not found.",
      );
      expect(tx.resolveVectorIndex("messages", "by_embedding")).toBeNull();
    } finally {
      tx.close();
    }
  });

  test("a vector search returns the nearest documents by cosine similarity", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(searchSchema());
    await database.runInTransaction((tx) =>
      insertAll(tx, "messages", [
        ...MESSAGES,
        { body: "no vector", channel: "a" },
      ]),
    );
    const search = async (query: Record<string, unknown>) => {
      const tx = database.begin();
      try {
        const results = await runVectorSearch(
          tx,
          parseVectorSearchQuery({
            indexName: "messages.by_embedding",
            expressions: null,
            ...query,
          }),
        );
        const byId = new Map<string, unknown>();
        for (const { _id } of results)
          byId.set(_id, (await tx.get(_id))?.["body"]);
        return results.map((r) => ({ body: byId.get(r._id), score: r._score }));
      } finally {
        tx.close();
      }
    };
    const nearest = await search({ vector: [1, 0, 0], limit: 2 });
    expect(nearest.map((r) => r.body)).toEqual([
      "the quick brown fox",
      "Fox! Fox? fox.",
    ]);
    expect(nearest[0]?.score).toBeCloseTo(1);
    expect(nearest[1]?.score).toBeCloseTo(0.9 / Math.sqrt(0.82));
    const inB = await search({
      vector: [0, 1, 0],
      expressions: {
        $or: [{ $eq: [{ $field: "channel" }, { $literal: "b" }] }],
      },
    });
    expect(inB.map((r) => r.body)).toEqual(["Fox! Fox? fox.", "brown bread"]);
    await expect(search({ vector: [1, 0] })).rejects.toThrow(
      /2 dimensions, the index has 3/,
    );
    await expect(
      search({
        vector: [1, 0, 0],
        expressions: { $eq: [{ $field: "body" }, { $literal: "x" }] },
      }),
    ).rejects.toThrow(/not in the filterFields/);
  });
}
