/**
 * Engine suite, restarts and retention: data and timestamps survive reopening, and retention
 * collects old versions without disturbing open readers.
 */
import { expect, test } from "vitest";
import {
  insertAll,
  scanAll,
  type EngineSuiteContext,
} from "./engine-suite-support.js";
import { ManualClock } from "./testing/manual-clock.js";

export function describeDurabilitySuite(ctx: EngineSuiteContext): void {
  test("data survives a restart and timestamps never go backwards, even if the clock does", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const fixture = await ctx.create({ clock });
    const { value: id, ts } = await fixture.database.runInTransaction((tx) =>
      tx.insert("t", { n: 1 }),
    );
    clock.set(1_700_000_000_000);
    const database = await fixture.reopen({ clock });
    expect(database.latestTs).toBe(ts);
    const { ts: next } = await database.runInTransaction((tx) =>
      tx.patch(id, { n: 2 }),
    );
    expect(next).toBeGreaterThan(ts);
    const tx = database.begin();
    expect((await tx.get(id))?.n).toBe(2);
    tx.close();
  });

  test("the high-water mark survives pruning of a trailing tombstone", async () => {
    const clock = new ManualClock();
    const fixture = await ctx.create({ clock, retention: { windowMs: 0 } });
    const { value: id } = await fixture.database.runInTransaction((tx) =>
      tx.insert("t", {}),
    );
    const { ts } = await fixture.database.runInTransaction((tx) =>
      tx.delete(id),
    );
    const pruned = await fixture.database.runRetention();
    expect(pruned.documents).toBe(2);
    const database = await fixture.reopen({ clock });
    expect(database.latestTs).toBe(ts);
  });

  test("retention collects old versions beyond the window but never under an open reader", async () => {
    const clock = new ManualClock();
    const fixture = await ctx.create({ clock, retention: { windowMs: 10 } });
    const { database } = fixture;
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(tx, "t", [{ v: 0 }, { v: 0 }]),
    );
    const reader = database.begin();
    for (let v = 1; v <= 5; v++) {
      clock.advance(100);
      await database.runInTransaction(async (tx) => {
        for (const id of ids) await tx.patch(id, { v });
      });
    }
    clock.advance(100);
    const held = await database.runRetention();
    expect(held.documents).toBe(0);
    expect((await scanAll(reader, "t", "by_id")).map((d) => d.v)).toEqual([
      0, 0,
    ]);
    reader.close();
    const pruned = await database.runRetention();
    // v0..v3 of both documents: v4 is still the newest revision at the window's edge.
    expect(pruned.documents).toBe(8);
    const tx = database.begin();
    expect((await scanAll(tx, "t", "by_id")).map((d) => d.v)).toEqual([5, 5]);
    tx.close();
    expect(() => database.begin({ readTs: 1n })).toThrow(
      /outside the readable range/,
    );
  });

  test("retention runs in the background once commit time advances by its interval", async () => {
    const clock = new ManualClock();
    const fixture = await ctx.create({
      clock,
      retention: { windowMs: 10, intervalMs: 100 },
    });
    const { database } = fixture;
    const { value: id, ts: firstTs } = await database.runInTransaction((tx) =>
      tx.insert("t", { v: 0 }),
    );
    for (let v = 1; v <= 3; v++) {
      clock.advance(60);
      await database.runInTransaction((tx) => tx.patch(id, { v }));
    }
    const reopened = await fixture.reopen({ clock });
    expect(() => reopened.begin({ readTs: firstTs })).toThrow(
      /outside the readable range/,
    );
    let versions = 0;
    for await (const entry of fixture.persistence
      .reader()
      .loadDocuments({ start: 0n, end: null }, "asc")) {
      if (entry.id === id) versions += 1;
    }
    expect(versions).toBeLessThan(4);
  });
}
