import { describe, expect, test } from "vitest";
import {
  createPostgresPersistence,
  type PostgresPersistence,
} from "../storage/postgres/postgres-persistence.js";
import { createTestDatabase } from "../storage/postgres/test-database.js";
import { Database } from "./database.js";
import {
  parseVectorSearchQuery,
  runVectorSearch,
} from "./query/vector-search.js";
import { parseSchemaExport } from "./schema-definition.js";
import type { CommittedWrite } from "./write-log.js";

/** Two databases over one PostgreSQL database stand for two Hull processes. */
async function openTwo(url: string): Promise<{
  a: Database;
  b: Database;
  [Symbol.asyncDispose]: () => Promise<void>;
}> {
  const persistences: PostgresPersistence[] = [];
  const open = async (): Promise<Database> => {
    const persistence = await createPostgresPersistence({
      url,
      maxConnections: 4,
    });
    persistences.push(persistence);
    return Database.open({ persistence, sharedLogPollMs: 50 });
  };
  const a = await open();
  const b = await open();
  return {
    a,
    b,
    [Symbol.asyncDispose]: async () => {
      await a.close();
      await b.close();
      for (const p of persistences) await p.close();
    },
  };
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("Database on a shared PostgreSQL log", () => {
  test("a commit through one process reaches the other's readers and commit listeners", async () => {
    await using pg = await createTestDatabase();
    await using two = await openTwo(pg.url);
    const seen: CommittedWrite[] = [];
    two.b.onCommit((commit) => seen.push(commit));
    const { value: id, ts } = await two.a.runInTransaction((tx) =>
      tx.insert("messages", { body: "hello" }),
    );
    await waitFor(() => two.b.latestTs >= ts);
    const tx = two.b.begin();
    expect((await tx.get(id))?.body).toBe("hello");
    tx.close();
    const documents = seen.flatMap((c) => c.documents);
    expect(
      documents.some((d) => d.id === id && d.tableName === "messages"),
    ).toBe(true);
    expect(seen.every((c) => c.indexWrites.size > 0)).toBe(true);
  });

  test("a vector search through one process sees vectors written through the other", async () => {
    await using pg = await createTestDatabase();
    await using two = await openTwo(pg.url);
    await two.a.schema.apply(
      parseSchemaExport({
        tables: [
          {
            tableName: "docs",
            indexes: [],
            vectorIndexes: [
              {
                indexDescriptor: "by_v",
                vectorField: "v",
                dimensions: 2,
                filterFields: [],
              },
            ],
            documentType: { type: "any" },
          },
        ],
        schemaValidation: false,
      }),
    );
    const nearest = async (db: Database): Promise<string[]> => {
      await db.follow();
      const tx = db.begin();
      try {
        const query = parseVectorSearchQuery({
          indexName: "docs.by_v",
          vector: [1, 0],
          limit: 1,
          expressions: null,
        });
        return (await runVectorSearch(tx, query)).map((r) => r._id);
      } finally {
        tx.close();
      }
    };
    const { value: east } = await two.a.runInTransaction((tx) =>
      tx.insert("docs", { v: [0, 1] }),
    );
    expect(await nearest(two.b)).toEqual([east]);
    const { value: north } = await two.a.runInTransaction((tx) =>
      tx.insert("docs", { v: [1, 0.01] }),
    );
    expect(await nearest(two.b)).toEqual([north]);
  });

  test("concurrent increments through two processes are serializable and timestamps strictly increase", async () => {
    await using pg = await createTestDatabase();
    await using two = await openTwo(pg.url);
    const { value: id } = await two.a.runInTransaction((tx) =>
      tx.insert("counters", { n: 0 }),
    );
    await two.b.follow();
    const timestamps: bigint[] = [];
    const increment = async (db: Database): Promise<void> => {
      const { ts } = await db.runInTransaction(async (tx) => {
        const doc = await tx.get(id);
        await tx.patch(id, { n: (doc!.n as number) + 1 });
      });
      timestamps.push(ts);
    };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => increment(i % 2 ? two.a : two.b)),
    );
    await two.a.follow();
    const tx = two.a.begin();
    expect((await tx.get(id))?.n).toBe(40);
    tx.close();
    expect(new Set(timestamps).size).toBe(40);
  });

  test("a table created through one process is known to the other's catalog", async () => {
    await using pg = await createTestDatabase();
    await using two = await openTwo(pg.url);
    await two.a.runInTransaction((tx) => tx.insert("fresh", { x: 1 }));
    await two.b.follow();
    expect(two.b.catalog.tableByName("fresh")).toBeDefined();
    const { value: id } = await two.b.runInTransaction((tx) =>
      tx.insert("fresh", { x: 2 }),
    );
    await two.a.follow();
    const tx = two.a.begin();
    expect((await tx.get(id))?.x).toBe(2);
    tx.close();
  });
});
