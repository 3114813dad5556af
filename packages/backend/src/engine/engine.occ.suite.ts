/**
 * Engine suite, the committer: OCC precision, serializability under concurrency, group commit,
 * retries and failure handling.
 */
import { expect, test } from "vitest";
import type { Persistence, PersistenceWrite } from "../storage/persistence.js";
import { encodeIndexKey } from "../values/index-key.js";
import type { CommittedWrite } from "./write-log.js";
import {
  insertAll,
  scanAll,
  type EngineSuiteContext,
} from "./engine-suite-support.js";
import { ManualClock } from "./testing/manual-clock.js";

/** Small backoffs so contention tests converge quickly on the real clock. */
const FAST_RETRY = { maxRetries: 200, initialBackoffMs: 1, maxBackoffMs: 8 };

/** A persistence whose next `write` fails once when `failNext` is set. */
function failingOnce(inner: Persistence): Persistence & { failNext: boolean } {
  const wrapper = {
    failNext: false,
    capabilities: inner.capabilities,
    reader: () => inner.reader(),
    write: (write: PersistenceWrite, conflict: "Error" | "Overwrite") => {
      if (wrapper.failNext) {
        wrapper.failNext = false;
        return Promise.reject(new Error("disk full"));
      }
      return inner.write(write, conflict);
    },
    writeGlobal: inner.writeGlobal.bind(inner),
    pruneBefore: inner.pruneBefore.bind(inner),
    close: inner.close.bind(inner),
  };
  return wrapper;
}

export function describeOccSuite(ctx: EngineSuiteContext): void {
  test("100 concurrent read-modify-write increments of one counter end at exactly 100", async () => {
    const { database } = await ctx.create({ occRetry: FAST_RETRY });
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("counters", { n: 0 }),
    );
    await Promise.all(
      Array.from({ length: 100 }, () =>
        database.runInTransaction(async (tx) => {
          const doc = (await tx.get(id))!;
          // Let other increments commit in between, so this snapshot may go stale.
          for (let i = 0; i < 3; i++)
            await new Promise((resolve) => setImmediate(resolve));
          await tx.patch(id, { n: (doc.n as number) + 1 });
        }),
      ),
    );
    expect((await database.begin().get(id))?.n).toBe(100);
  });

  test("concurrent transfers between accounts conserve the total", async () => {
    const { database } = await ctx.create({ occRetry: FAST_RETRY });
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(
        tx,
        "accounts",
        Array.from({ length: 5 }, () => ({ balance: 100 })),
      ),
    );
    let seed = 7;
    const pick = (): number =>
      (seed = (seed * 1103515245 + 12345) % 2147483648) % ids.length;
    const transfers = Array.from({ length: 60 }, () => {
      const from = ids[pick()]!;
      const to = ids[pick()]!;
      return database.runInTransaction(async (tx) => {
        const a = (await tx.get(from))!;
        const b = (await tx.get(to))!;
        const amount = Math.min(a.balance as number, 7);
        if (from === to || amount === 0) return;
        await tx.patch(from, { balance: (a.balance as number) - amount });
        await tx.patch(to, { balance: (b.balance as number) + amount });
      });
    });
    const audits = Array.from({ length: 20 }, async () => {
      const tx = database.begin();
      const docs = await scanAll(tx, "accounts", "by_id");
      tx.close();
      return docs.reduce((sum, d) => sum + (d.balance as number), 0);
    });
    const totals = await Promise.all(audits);
    await Promise.all(transfers);
    expect(totals.every((t) => t === 500)).toBe(true);
    const tx = database.begin();
    const docs = await scanAll(tx, "accounts", "by_id");
    expect(docs.reduce((sum, d) => sum + (d.balance as number), 0)).toBe(500);
    expect(docs.every((d) => (d.balance as number) >= 0)).toBe(true);
    tx.close();
  });

  test("commits issued together share one storage write", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) => tx.insert("t", {}));
    const before = database.committerStats();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        database.runInTransaction((tx) => tx.insert("t", {})),
      ),
    );
    const after = database.committerStats();
    expect(after.commits - before.commits).toBe(20);
    expect(after.groups - before.groups).toBeLessThan(20);
    expect(after.largestGroup).toBeGreaterThan(1);
  });

  test("a group checks each commit against the earlier commits of the same group", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("t", { n: 0 }),
    );
    const txs = [database.begin(), database.begin(), database.begin()];
    for (const [i, tx] of txs.entries()) {
      await tx.get(id);
      await tx.patch(id, { n: i + 1 });
    }
    const before = database.committerStats().groups;
    const results = await Promise.all(txs.map((tx) => database.commit(tx)));
    expect(database.committerStats().groups).toBe(before + 1);
    expect(results.map((r) => r.type)).toEqual([
      "committed",
      "conflict",
      "conflict",
    ]);
    expect((await database.begin().get(id))?.n).toBe(1);
  });

  test("a write outside the read ranges does not conflict; a write inside does", async () => {
    const { database } = await ctx.create();
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(tx, "t", [{ n: 1 }, { n: 2 }]),
    );
    const reader = database.begin();
    await reader.get(ids[0]!);
    await reader.insert("log", {});
    await database.runInTransaction((tx) => tx.patch(ids[1]!, { n: 20 }));
    expect((await database.commit(reader)).type).toBe("committed");

    const conflicting = database.begin();
    await conflicting.get(ids[0]!);
    await conflicting.insert("log", {});
    await database.runInTransaction((tx) => tx.patch(ids[0]!, { n: 10 }));
    const result = await database.commit(conflicting);
    expect(result).toMatchObject({ type: "conflict", table: "t", id: ids[0] });
  });

  test("a range read conflicts with an insert into the range, not with one outside it", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) => insertAll(tx, "t", [{}, {}]));
    const probe = database.begin();
    const creationTimes = (await scanAll(probe, "t", "by_creation_time")).map(
      (d) => d._creationTime,
    );
    probe.close();
    const bounded = {
      start: encodeIndexKey([creationTimes[0]!]),
      end: encodeIndexKey([creationTimes[1]!]),
    };
    const ranged = database.begin();
    await scanAll(ranged, "t", "by_creation_time", bounded);
    await ranged.insert("other", {});
    await database.runInTransaction((w) => w.insert("t", {}));
    expect((await database.commit(ranged)).type).toBe("committed");
    const full = database.begin();
    await scanAll(full, "t", "by_creation_time");
    await full.insert("other", {});
    await database.runInTransaction((w) => w.insert("t", {}));
    expect((await database.commit(full)).type).toBe("conflict");
  });

  test("concurrent first inserts into a new table create it once", async () => {
    const { database } = await ctx.create({ occRetry: FAST_RETRY });
    await Promise.all(
      Array.from({ length: 8 }, () =>
        database.runInTransaction((tx) => tx.insert("fresh", {})),
      ),
    );
    const tables = database.catalog.tables().filter((t) => t.name === "fresh");
    expect(tables).toHaveLength(1);
    expect(await database.begin().count("fresh")).toBe(8);
  });

  test("runInTransaction backs off exponentially, then fails with Convex's OCC error", async () => {
    const clock = new ManualClock();
    const { database } = await ctx.create({
      clock,
      random: () => 0,
      occRetry: { maxRetries: 3, initialBackoffMs: 10, maxBackoffMs: 25 },
    });
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("hot", { n: 0 }),
    );
    const attempt = database.runInTransaction(async (tx) => {
      await tx.get(id);
      await database.runInTransaction((other) => other.patch(id, { n: 1 }));
      await tx.patch(id, { n: 2 });
    });
    await expect(attempt).rejects.toMatchObject({
      code: "OCC",
      message: expect.stringContaining(
        'Documents read from or written to the "hot" table changed',
      ) as unknown,
    });
    expect(clock.sleeps).toEqual([5, 10, 12.5]);
  });

  test("listeners see every durable commit in ts order with its index writes", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) => tx.insert("t", {}));
    const seen: CommittedWrite[] = [];
    const unsubscribe = database.onCommit((c) => seen.push(c));
    await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        database.runInTransaction((tx) => tx.insert("t", { n })),
      ),
    );
    unsubscribe();
    await database.runInTransaction((tx) => tx.insert("t", {}));
    expect(seen).toHaveLength(5);
    const ts = seen.map((c) => c.ts);
    expect([...ts].sort((a, b) => (a < b ? -1 : 1))).toEqual(ts);
    expect(seen.map((c) => c.documents.map((d) => d.tableName))).toEqual(
      Array(5).fill(["t"]),
    );
    const table = database.catalog.tableByName("t")!;
    expect(seen.every((c) => c.indexWrites.has(`${table.number}/by_id`))).toBe(
      true,
    );
  });

  test("a failed storage write fails its whole group and leaves the database usable", async () => {
    const fixture = await ctx.create();
    const persistence = failingOnce(fixture.persistence);
    await fixture.database.close();
    const { Database } = await import("./database.js");
    const database = await Database.open({ persistence });
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("t", { n: 0 }),
    );
    const latest = database.latestTs;
    persistence.failNext = true;
    const results = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        database.runInTransaction((tx) => tx.insert("t", { n })),
      ),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(database.latestTs).toBe(latest);
    await database.runInTransaction((tx) => tx.patch(id, { n: 9 }));
    const tx = database.begin();
    expect(await tx.count("t")).toBe(1);
    expect((await tx.get(id))?.n).toBe(9);
    tx.close();
    await database.close();
  });

  test("a transaction older than the write log is treated as a conflict", async () => {
    const { database } = await ctx.create({ writeLog: { maxEntries: 1 } });
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("t", {}),
    );
    const old = database.begin();
    await old.get(id);
    await old.insert("u", {});
    await database.runInTransaction((tx) => tx.insert("x", {}));
    await database.runInTransaction((tx) => tx.insert("x", {}));
    expect(await database.commit(old)).toMatchObject({
      type: "conflict",
      table: null,
    });
  });
}
