import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, test } from "vitest";
import type {
  DocumentLogEntry,
  IndexEntry,
  LogTail,
  SharedLog,
} from "../persistence.js";
import { isPersistenceConflict } from "../persistence-error.js";
import { DATABASE_CONNECTION_LOST } from "./postgres-errors.js";
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

  test("an append of rows that already exist is refused as a conflict and lands nothing", async () => {
    await using pg = await createTestDatabase();
    await using logs = await openTwo(pg.url);
    await appendRow(logs.a, 0n, 10n, "x");
    const duplicate = logs.a.append(10n, () => {
      const rows = row(11n, "y");
      const existing = row(10n, "x");
      return {
        documents: [...rows.documents, ...existing.documents],
        indexes: rows.indexes,
      };
    });
    await expect(duplicate).rejects.toSatisfy(isPersistenceConflict);
    await appendRow(logs.a, 10n, 12n, "z");
    const tail = await logs.b.readTail(0n);
    expect(tail.documents.map((d) => d.id)).toEqual(["x", "z"]);
    expect(tail.indexes.map((e) => e.docId)).toEqual(["x", "z"]);
  });

  test("an append cut off after its COMMIT was sent reports an unknown outcome, and the next one reconnects", async () => {
    await using db = await createTestDatabase();
    const applicationName = `hull-${randomBytes(4).toString("hex")}`;
    await using persistence = await createPostgresPersistence({
      url: db.url,
      applicationName,
    });
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    // A session outside any transaction, whose pg_stat_activity is not frozen in a snapshot.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      // Holding the index table stops the append's insert, with its COMMIT queued behind it.
      await locker.query("BEGIN; LOCK TABLE indexes IN ACCESS EXCLUSIVE MODE");
      const cut = appendRow(persistence.sharedLog, 0n, 1n, "lost");
      const blocked = async () =>
        (
          await admin.query(
            `SELECT pid FROM pg_stat_activity
             WHERE application_name = $1 AND wait_event_type = 'Lock'`,
            [applicationName],
          )
        ).rows.map((r: { pid: number }) => r.pid);
      await expect.poll(blocked).toHaveLength(1);
      await admin.query("SELECT pg_terminate_backend($1)", [
        (await blocked())[0],
      ]);
      const error = await cut.then(
        () => null,
        (e: unknown) => e as { shortMsg: string; message: string },
      );
      expect(error?.shortMsg).toBe(DATABASE_CONNECTION_LOST);
      expect(error?.message).toContain("may or may not have been applied");
      await locker.query("ROLLBACK");
      await appendRow(persistence.sharedLog, 0n, 2n, "after");
      const tail = await persistence.sharedLog.readTail(0n);
      expect(tail.documents.map((d) => d.id)).toEqual(["after"]);
    } finally {
      await locker.end();
      await admin.end();
    }
  });
});
