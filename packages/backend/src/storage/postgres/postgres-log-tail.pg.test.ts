import pg from "pg";
import { describe, expect, test } from "vitest";
import type { PersistenceWrite } from "../persistence.js";
import { documentsAfterSql, indexesSql } from "./postgres-log-tail.js";
import { createPostgresPersistence } from "./postgres-persistence.js";
import { createTestDatabase } from "./test-database.js";

function rows(from: number, count: number): PersistenceWrite {
  const documents = [];
  const indexes = [];
  for (let n = from; n < from + count; n++) {
    const ts = BigInt(n);
    const id = `doc${n}`;
    documents.push({ ts, tableId: "10001", id, value: "{}", prevTs: null });
    indexes.push({
      indexId: "10001/by_id",
      key: new TextEncoder().encode(id),
      ts,
      deleted: false,
      tableId: "10001",
      docId: id,
    });
  }
  return { documents, indexes };
}

async function plan(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ "QUERY PLAN": string }>(
      `EXPLAIN ${sql}`,
    );
    return result.rows.map((row) => row["QUERY PLAN"]).join("\n");
  } finally {
    await client.end();
  }
}

describe("postgres-log-tail", () => {
  test("tail reads walk the ts indexes of tables ANALYZE has not seen yet", async () => {
    await using db = await createTestDatabase();
    await using persistence = await createPostgresPersistence({ url: db.url });
    for (let from = 1; from <= 6000; from += 1000)
      await persistence.write(rows(from, 1000), "Error");
    const documents = await plan(db.url, documentsAfterSql(5990n));
    const indexes = await plan(db.url, indexesSql(5990n, 6000n));
    expect(documents).not.toContain("Seq Scan");
    expect(documents).toContain("documents_by_ts");
    expect(indexes).not.toContain("Seq Scan");
    expect(indexes).toContain("indexes_by_ts");
  });
});
