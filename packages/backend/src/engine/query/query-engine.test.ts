/**
 * The query layer through a real `Database` (memory and SQLite): behaviour that depends on the
 * engine around it, such as cursors outliving a restart.
 */
import { describe, expect, test } from "vitest";
import type { Database } from "../database.js";
import {
  createTestDatabase,
  PERSISTENCE_KINDS,
} from "../testing/test-database.js";

const scan = {
  source: { type: "FullTableScan", tableName: "notes", order: null },
  operators: [],
};

async function page(database: Database, cursor: string | null) {
  const tx = database.begin();
  try {
    return await tx.queryPage({
      query: scan,
      cursor,
      endCursor: null,
      pageSize: 2,
      maximumRowsRead: null,
      maximumBytesRead: null,
    });
  } finally {
    tx.close();
  }
}

describe.each(PERSISTENCE_KINDS)("queries through the engine (%s)", (kind) => {
  test("a continueCursor still works after the database restarts", async () => {
    await using fixture = await createTestDatabase(kind);
    await fixture.database.runInTransaction(async (tx) => {
      for (const n of [1, 2, 3, 4]) await tx.insert("notes", { n });
    });
    const first = await page(fixture.database, null);
    expect(first.page.map((d) => d["n"])).toEqual([1, 2]);
    const database = await fixture.reopen();
    const second = await page(database, first.continueCursor);
    expect(second.page.map((d) => d["n"])).toEqual([3, 4]);
  });

  test("a stream reads its own transaction's writes", async () => {
    await using fixture = await createTestDatabase(kind);
    const { value } = await fixture.database.runInTransaction(async (tx) => {
      await tx.insert("notes", { n: 1 });
      const stream = tx.query(scan);
      const first = await stream.next();
      stream.close();
      return first?.["n"];
    });
    expect(value).toBe(1);
  });
});
