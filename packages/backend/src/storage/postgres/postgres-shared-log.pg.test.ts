import { describe, expect, test } from "vitest";
import type {
  DocumentLogEntry,
  IndexEntry,
  LogTail,
  SharedLog,
} from "../persistence.js";
import { createPostgresPersistence } from "./postgres-persistence.js";
import { createTestDatabase } from "./test-database.js";

function row(
  ts: bigint,
  id: string,
): {
  documents: DocumentLogEntry[];
  indexes: IndexEntry[];
} {
  return {
    documents: [{ ts, tableId: "10001", id, value: `{"n":1}`, prevTs: null }],
    indexes: [
      {
        indexId: "10001/by_id",
        key: new TextEncoder().encode(id),
        ts,
        deleted: false,
        tableId: "10001",
        docId: id,
      },
    ],
  };
}

async function openTwo(url: string) {
  const a = await createPostgresPersistence({ url, maxConnections: 2 });
  const b = await createPostgresPersistence({ url, maxConnections: 2 });
  return {
    a: a.sharedLog,
    b: b.sharedLog,
    [Symbol.asyncDispose]: async () => {
      await a.close();
      await b.close();
    },
  };
}

function appendRow(log: SharedLog, knownTs: bigint, ts: bigint, id: string) {
  let seen: LogTail | null = null;
  return log
    .append(knownTs, (tail) => {
      seen = tail;
      return row(ts, id);
    })
    .then(() => seen!);
}

describe("PostgresSharedLog", () => {
  test("an append sees, under the lock, what other processes appended since its known ts", async () => {
    await using pg = await createTestDatabase();
    await using logs = await openTwo(pg.url);
    const first = await appendRow(logs.a, 0n, 10n, "x");
    expect(first.documents).toEqual([]);
    await appendRow(logs.a, 10n, 11n, "y");
    const tail = await appendRow(logs.b, 0n, 12n, "z");
    expect(tail.documents.map((d) => [d.ts, d.id])).toEqual([
      [10n, "x"],
      [11n, "y"],
    ]);
    expect(tail.indexes.map((e) => [e.ts, e.docId])).toEqual([
      [10n, "x"],
      [11n, "y"],
    ]);
  });

  test("readTail returns the rows after a ts in ts order, index entries included", async () => {
    await using pg = await createTestDatabase();
    await using logs = await openTwo(pg.url);
    await appendRow(logs.a, 0n, 5n, "p");
    await appendRow(logs.b, 5n, 6n, "q");
    const tail = await logs.a.readTail(5n);
    expect(tail.documents.map((d) => d.id)).toEqual(["q"]);
    expect(tail.indexes.map((e) => e.docId)).toEqual(["q"]);
    expect(await logs.a.readTail(6n)).toEqual({ documents: [], indexes: [] });
  });

  test("other processes are notified of an append, the appender is not", async () => {
    await using pg = await createTestDatabase();
    await using logs = await openTwo(pg.url);
    let notifiedA = 0;
    let notifiedB = 0;
    logs.a.onAppend(() => (notifiedA += 1));
    logs.b.onAppend(() => (notifiedB += 1));
    // Both listeners fire once when their LISTEN connection is ready.
    const deadline = Date.now() + 5000;
    while ((notifiedA < 1 || notifiedB < 1) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const [beforeA, beforeB] = [notifiedA, notifiedB];
    await appendRow(logs.a, 0n, 1n, "n");
    while (notifiedB === beforeB && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(notifiedB).toBe(beforeB + 1);
    expect(notifiedA).toBe(beforeA);
  });
});
