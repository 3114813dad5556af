/**
 * Engine suite, transactions: documents, system fields, snapshot reads, own writes, Convex's
 * errors and limits.
 */
import { expect, test } from "vitest";
import { encodeId, FIRST_USER_TABLE_NUMBER } from "../values/id.js";
import { encodeIndexKey } from "../values/index-key.js";
import { COMMIT_TS_PLACEHOLDER } from "../values/value.js";
import {
  FULL,
  insertAll,
  scanAll,
  type EngineSuiteContext,
} from "./engine-suite-support.js";
import { nextUp } from "./system-fields.js";
import { ManualClock } from "./testing/manual-clock.js";

export function describeTransactionSuite(ctx: EngineSuiteContext): void {
  test("an inserted document is readable with its system fields, after commit too", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction(async (tx) => {
      const id = await tx.insert("messages", { body: "hello", n: 1n });
      expect(await tx.get(id)).toMatchObject({ _id: id, body: "hello", n: 1n });
      return id;
    });
    const tx = database.begin();
    const doc = await tx.get(id);
    expect(doc).toEqual({
      _id: id,
      _creationTime: doc?._creationTime,
      body: "hello",
      n: 1n,
    });
    expect(typeof doc?._creationTime).toBe("number");
    tx.close();
  });

  test("user tables are numbered from 10001 in creation order", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction(async (tx) => {
      await tx.insert("a", {});
      await tx.insert("b", {});
    });
    expect(database.catalog.tableByName("a")?.number).toBe(
      FIRST_USER_TABLE_NUMBER,
    );
    expect(database.catalog.tableByName("b")?.number).toBe(
      FIRST_USER_TABLE_NUMBER + 1,
    );
  });

  test("a snapshot does not see later commits, and uncommitted writes stay private", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("t", { v: 1 }),
    );
    const old = database.begin();
    const writer = database.begin();
    await writer.patch(id, { v: 2 });
    expect((await database.begin().get(id))?.v).toBe(1);
    await database.commit(writer);
    expect((await old.get(id))?.v).toBe(1);
    expect((await database.begin().get(id))?.v).toBe(2);
    old.close();
  });

  test("patch merges and removes fields; replace keeps system fields; delete removes", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction(async (tx) => {
      const id = await tx.insert("t", { a: 1, b: "x" });
      const created = (await tx.get(id))!;
      const patched = await tx.patch(id, { b: undefined, c: true });
      expect(patched).toEqual({
        _id: id,
        _creationTime: created._creationTime,
        a: 1,
        c: true,
      });
      const replaced = await tx.replace(id, { z: null });
      expect(replaced).toEqual({
        _id: id,
        _creationTime: created._creationTime,
        z: null,
      });
      expect(await tx.delete(id)).toEqual(replaced);
      expect(await tx.get(id)).toBeNull();
    });
  });

  test("patch and replace accept system fields only with their current values", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction(async (tx) => {
      const id = await tx.insert("t", { a: 1 });
      const doc = (await tx.get(id))!;
      await tx.patch(id, { _id: id, _creationTime: doc._creationTime, a: 2 });
      const other = await tx.insert("t", {});
      await expect(tx.patch(id, { _id: other })).rejects.toThrow(
        /doesn't match '_id' field/,
      );
      await expect(tx.replace(id, { _creationTime: 5 })).rejects.toThrow(
        /doesn't match '_creationTime' field/,
      );
    });
  });

  test("writes to missing documents fail with Convex's messages", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction(async (tx) => {
      const id = await tx.insert("t", {});
      await tx.delete(id);
      await expect(tx.patch(id, {})).rejects.toThrow(
        `Update on nonexistent document ID ${id}`,
      );
      await expect(tx.replace(id, {})).rejects.toThrow(
        `Update on nonexistent document ID ${id}`,
      );
      await expect(tx.delete(id)).rejects.toThrow(
        `Delete on nonexistent document ID ${id}`,
      );
    });
  });

  test("get follows Convex's rules for malformed, foreign and system ids", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction(async (tx) => {
      await tx.insert("other", {});
      return tx.insert("messages", {});
    });
    const tx = database.begin();
    await expect(tx.get("not-an-id")).rejects.toMatchObject({
      shortMsg: "InvalidId",
    });
    const unknownTable = encodeId(20_000, new Uint8Array(16));
    expect(await tx.get(unknownTable)).toBeNull();
    await expect(tx.get(id, { table: "other" })).rejects.toThrow(
      'expected to be an Id<"other">, got Id<"messages"> instead.',
    );
    expect(await tx.get(id, { table: "messages" })).not.toBeNull();
    await expect(tx.get(id, { isSystem: true })).rejects.toMatchObject({
      shortMsg: "UserTableAccessThroughSystem",
    });
    tx.close();
  });

  test("system tables are written only through the system variants", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction(async (tx) => {
      await expect(tx.insert("_storage", { size: 1 })).rejects.toMatchObject({
        shortMsg: "SystemTableWrite",
      });
      const id = await tx.insert("_storage", { size: 1 }, { isSystem: true });
      await expect(tx.get(id)).rejects.toThrow(
        "System tables can only be accessed with db.system.",
      );
      expect(await tx.get(id, { isSystem: true })).toMatchObject({ size: 1 });
      await expect(
        tx.insert("_tables", {}, { isSystem: true }),
      ).rejects.toThrow();
    });
    expect(database.catalog.tableByName("_storage")?.number).toBe(513);
  });

  test("a system document inserted with a chosen internal id is found by that id, once", async () => {
    const { database } = await ctx.create();
    const internalId = new Uint8Array(16).fill(7);
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("_requests", { n: 1 }, { isSystem: true, internalId }),
    );
    const table = database.catalog.tableByName("_requests")!;
    expect(id).toBe(encodeId(table.number, internalId));
    // Two transactions that both saw the id free: the second to commit conflicts.
    const first = database.begin();
    const second = database.begin();
    const other = new Uint8Array(16).fill(9);
    for (const tx of [first, second]) {
      expect(
        await tx.get(encodeId(table.number, other), { isSystem: true }),
      ).toBeNull();
      await tx.insert(
        "_requests",
        { n: 2 },
        { isSystem: true, internalId: other },
      );
    }
    expect((await database.commit(first)).type).toBe("committed");
    expect((await database.commit(second)).type).toBe("conflict");
    await database.runInTransaction(async (tx) => {
      expect(await tx.get(id, { isSystem: true })).toMatchObject({ n: 1 });
      await expect(
        tx.insert("_requests", { n: 3 }, { isSystem: true, internalId }),
      ).rejects.toThrow("already exists");
      await expect(
        tx.insert("messages", { n: 3 }, { internalId }),
      ).rejects.toThrow("system table");
    });
  });

  test("inserted values are checked for system fields and shape", async () => {
    const { database } = await ctx.create();
    const tx = database.begin();
    await expect(tx.insert("t", { _id: "x" })).rejects.toMatchObject({
      shortMsg: "SystemFieldOnInsert",
    });
    await expect(tx.insert("t", { _secret: 1 })).rejects.toThrow();
    await expect(tx.insert("bad-name", {})).rejects.toThrow();
    tx.close();
  });

  test("creation times are max(snapshot + 1ns, now) in ms, then the next float64 up", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { database } = await ctx.create({ clock });
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(tx, "t", [{}, {}, {}]),
    );
    const tx = database.begin();
    const times = await Promise.all(
      ids.map(async (id) => (await tx.get(id))!._creationTime),
    );
    expect(times[0]).toBe(1_700_000_000_000);
    expect(times[1]).toBe(nextUp(times[0]!));
    expect(times[2]).toBe(nextUp(times[1]!));
    tx.close();
    clock.set(1_600_000_000_000);
    const { value: late } = await database.runInTransaction((t) =>
      t.insert("t", {}),
    );
    const lateTime = (await database.begin().get(late))!._creationTime;
    expect(lateTime).toBeGreaterThanOrEqual(1_700_000_000_000);
  });

  test("scans merge buffered writes in key order and hide deleted documents", async () => {
    const { database } = await ctx.create();
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(tx, "t", [{ n: 1 }, { n: 2 }, { n: 3 }]),
    );
    await database.runInTransaction(async (tx) => {
      await tx.delete(ids[1]!);
      await tx.patch(ids[0]!, { n: 10 });
      await tx.insert("t", { n: 4 });
      const docs = await scanAll(tx, "t", "by_creation_time");
      expect(docs.map((d) => d.n)).toEqual([10, 3, 4]);
      const desc = await scanAll(tx, "t", "by_creation_time", FULL, "desc");
      expect(desc.map((d) => d.n)).toEqual([4, 3, 10]);
    });
  });

  test("a stopped scan records only the consumed part of its interval", async () => {
    const { database } = await ctx.create();
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(tx, "t", [{ n: 1 }, { n: 2 }, { n: 3 }]),
    );
    const tx = database.begin();
    const index = tx.resolveIndex("t", "by_id")!;
    const scan = tx.scan(index, FULL, "asc");
    const first = await scan.next();
    await scan.return();
    const firstKey = first.value!.key;
    const sorted = [...ids].sort();
    expect(first.value?.document._id).toBe(sorted[0]);
    expect(tx.readSet.containsKey(index.id, firstKey)).toBe(true);
    expect(tx.readSet.containsKey(index.id, encodeIndexKey([sorted[1]!]))).toBe(
      false,
    );
    tx.close();
  });

  test("queries on a missing table see nothing; a user index of a missing table is null", async () => {
    const { database } = await ctx.create();
    const tx = database.begin();
    expect(await scanAll(tx, "nothing", "by_creation_time")).toEqual([]);
    expect(tx.resolveIndex("nothing", "by_x")).toBeNull();
    expect(await tx.count("nothing")).toBe(0);
    tx.close();
  });

  test("normalizeId accepts only ids of the named table", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction(async (tx) => {
      await tx.insert("b", {});
      return tx.insert("a", {});
    });
    const tx = database.begin();
    expect(tx.normalizeId("a", id)).toBe(id);
    expect(tx.normalizeId("b", id)).toBeNull();
    expect(tx.normalizeId("missing", id)).toBeNull();
    expect(tx.normalizeId("a", "garbage")).toBeNull();
    tx.close();
  });

  test("read limits stop a transaction with Convex's message", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) => insertAll(tx, "t", [{}, {}, {}]));
    const tx = database.begin({ limits: { maxDocumentsRead: 2 } });
    await expect(scanAll(tx, "t", "by_id")).rejects.toThrow(
      "Too many documents read in a single function execution (limit: 2).",
    );
    tx.close();
    const few = database.begin({ limits: { maxReadIntervals: 1 } });
    await scanAll(few, "t", "by_id");
    await expect(scanAll(few, "t", "by_id")).rejects.toMatchObject({
      shortMsg: "TooManyReads",
    });
    few.close();
  });

  test("write limits and metrics count documents written", async () => {
    const { database } = await ctx.create();
    const tx = database.begin({ limits: { maxDocumentsWritten: 2 } });
    const id = await tx.insert("t", { a: 1 });
    await tx.patch(id, { a: 2 });
    await tx.insert("t", {});
    expect(tx.metrics().documentsWritten).toEqual({ used: 2, remaining: 0 });
    await expect(tx.insert("t", {})).rejects.toMatchObject({
      shortMsg: "TooManyWrites",
    });
    tx.close();
  });

  test("a rolled-back sub-transaction discards its writes; a committed one keeps them", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("t", { n: 0 }),
    );
    await database.runInTransaction(async (tx) => {
      tx.beginSubtransaction();
      await tx.patch(id, { n: 1 });
      tx.beginSubtransaction();
      await tx.insert("fresh", {});
      await tx.delete(id);
      tx.rollbackSubtransaction();
      expect(await tx.get(id)).toMatchObject({ n: 1 });
      expect(tx.resolveIndex("fresh", "by_user")).toBeNull();
      tx.commitSubtransaction();
      tx.beginSubtransaction();
      await tx.patch(id, { n: 2 });
      tx.rollbackSubtransaction();
    });
    const tx = database.begin();
    expect(await tx.get(id)).toMatchObject({ n: 1 });
    expect(database.catalog.tableByName("fresh")).toBeUndefined();
    tx.close();
  });

  test("a commit-ts placeholder resolves to the commit's timestamp", async () => {
    const { database } = await ctx.create();
    const { value: id, ts } = await database.runInTransaction((tx) =>
      tx.insert("t", {
        at: COMMIT_TS_PLACEHOLDER,
        nested: [COMMIT_TS_PLACEHOLDER],
      }),
    );
    const tx = database.begin();
    expect(await tx.get(id)).toMatchObject({ at: ts, nested: [ts] });
    tx.close();
  });

  test("count sees the snapshot plus the transaction's own writes", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) => insertAll(tx, "t", [{}, {}]));
    await database.runInTransaction(async (tx) => {
      await tx.insert("t", {});
      expect(await tx.count("t")).toBe(3);
    });
  });
}
