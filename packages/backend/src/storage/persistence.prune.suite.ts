/**
 * Conformance: `pruneBefore` removes exactly what no snapshot at or after its bound can see.
 */
import { expect } from "vitest";
import type { Persistence, Timestamp } from "./persistence.js";
import {
  ALL,
  bytes,
  doc,
  entry,
  load,
  plainDoc,
  scan,
  writeIndexed,
  type PlainDocument,
  type PlainScanEntry,
  type SuiteContext,
} from "./persistence-suite-support.js";

/**
 * History used by most tests (ts on the left, index `i`, one key per document):
 *  a: 10 insert k1, 20 update k1, 30 update k1, 50 delete
 *  b: 15 insert k2, 40 delete, 60 reinsert k2 as document c
 *  d: 25 insert k3
 */
async function writeHistory(p: Persistence): Promise<void> {
  await writeIndexed(p, "i", bytes(1), doc("t", "a", 10n, { a: 1 }));
  await writeIndexed(p, "i", bytes(2), doc("t", "b", 15n, { b: 1 }));
  await writeIndexed(p, "i", bytes(1), doc("t", "a", 20n, { a: 2 }, 10n));
  await writeIndexed(p, "i", bytes(3), doc("t", "d", 25n, { d: 1 }));
  await writeIndexed(p, "i", bytes(1), doc("t", "a", 30n, { a: 3 }, 20n));
  await writeIndexed(p, "i", bytes(2), doc("t", "b", 40n, null, 15n));
  await writeIndexed(p, "i", bytes(1), doc("t", "a", 50n, null, 30n));
  await writeIndexed(p, "i", bytes(2), doc("t", "c", 60n, { c: 1 }));
}

interface Snapshot {
  scans: PlainScanEntry[][];
  docs: (PlainDocument | null)[];
}

/** Every snapshot read at `readTs` that pruning must preserve (tombstones read as null). */
async function snapshotAt(
  p: Persistence,
  readTs: Timestamp,
): Promise<Snapshot> {
  const r = p.reader();
  const docs: (PlainDocument | null)[] = [];
  for (const id of ["a", "b", "c", "d"]) {
    const d = plainDoc(await r.getDocument("t", id, readTs));
    docs.push(d?.value === null ? null : d);
  }
  return {
    scans: [
      await scan(r, "i", readTs, ALL),
      await scan(r, "i", readTs, ALL, "desc"),
    ],
    docs,
  };
}

/**
 * 2000 documents with two revisions each (every 4th deleted by its second), and one document with
 * 2500 revisions ending in a tombstone, so pruning spans many batches and one document spans batch
 * boundaries. At ts 3000, 1500 entries of index `i` are visible.
 */
async function writeLargeLog(p: Persistence): Promise<void> {
  const documents = [];
  const indexes = [];
  for (let i = 0; i < 2000; i++) {
    const id = `d${String(i).padStart(4, "0")}`;
    const key = bytes(i >> 8, i & 0xff);
    const gone = i % 4 === 0;
    documents.push(
      doc("t", id, 1n, { i }),
      doc("t", id, 2n, gone ? null : { i, v: 2 }, 1n),
    );
    indexes.push(
      entry("i", key, 1n, false, "t", id),
      entry("i", key, 2n, gone, "t", id),
    );
  }
  for (let ts = 1n; ts <= 2500n; ts++) {
    const value = ts === 2500n ? null : { ts: Number(ts) };
    documents.push(doc("t", "m", ts, value, ts === 1n ? null : ts - 1n));
    indexes.push(entry("i", bytes(0xff), ts, value === null, "t", "m"));
  }
  await p.write({ documents, indexes }, "Error");
}

export function describePruneSuite({ test }: SuiteContext): void {
  test("pruning keeps every snapshot read at or after its bound identical", async (p) => {
    await writeHistory(p);
    for (const bound of [5n, 10n, 22n, 30n, 45n, 50n, 55n, 60n, 70n]) {
      const before = new Map<bigint, Snapshot>();
      for (let readTs = bound; readTs <= 70n; readTs += 5n)
        before.set(readTs, await snapshotAt(p, readTs));
      await p.pruneBefore(bound);
      for (const [readTs, want] of before) {
        expect(
          await snapshotAt(p, readTs),
          `bound ${bound}, readTs ${readTs}`,
        ).toEqual(want);
      }
    }
  });

  test("pruning deletes shadowed revisions and trailing tombstones and returns the counts", async (p) => {
    await writeHistory(p);
    // At 45: a@10 and a@20 are shadowed by a@30; b@15 is shadowed by the tombstone b@40, which
    // is then the newest revision and goes too. The same holds for the index entries.
    expect(await p.pruneBefore(45n)).toEqual({ documents: 4, indexes: 4 });
    expect(
      (await load(p.reader(), 0n, null)).map((d) => `${d.id}@${d.ts}`),
    ).toEqual(["d@25", "a@30", "a@50", "c@60"]);
    // At 60: a@30 is shadowed by the tombstone a@50, which goes too.
    expect(await p.pruneBefore(60n)).toEqual({ documents: 2, indexes: 2 });
    expect(
      (await load(p.reader(), 0n, null)).map((d) => `${d.id}@${d.ts}`),
    ).toEqual(["d@25", "c@60"]);
    expect(
      (await scan(p.reader(), "i", 60n, ALL)).map((e) => e.document.id),
    ).toEqual(["c", "d"]);
  });

  test("pruning again at the same bound deletes nothing", async (p) => {
    await writeHistory(p);
    expect(await p.pruneBefore(55n)).not.toEqual({ documents: 0, indexes: 0 });
    expect(await p.pruneBefore(55n)).toEqual({ documents: 0, indexes: 0 });
  });

  test("pruning never removes revisions newer than its bound", async (p) => {
    await writeHistory(p);
    expect(await p.pruneBefore(9n)).toEqual({ documents: 0, indexes: 0 });
    expect((await load(p.reader(), 0n, null)).length).toBe(8);
    await p.pruneBefore(35n);
    const left = await load(p.reader(), 36n, null);
    expect(left.map((d) => `${d.id}@${d.ts}`)).toEqual([
      "b@40",
      "a@50",
      "c@60",
    ]);
  });

  test("pruning handles index entries whose keys change or repeat across documents", async (p) => {
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 10n, { k: 1 }));
    await p.write(
      {
        documents: [doc("t", "a", 20n, { k: 2 }, 10n)],
        indexes: [
          entry("i", bytes(1), 20n, true, "t", "a"),
          entry("i", bytes(2), 20n, false, "t", "a"),
        ],
      },
      "Error",
    );
    await writeIndexed(p, "i", bytes(1), doc("t", "b", 30n, { k: 1 }));
    await writeIndexed(p, "j", bytes(1), doc("t", "z", 31n, {}));
    const before = await scan(p.reader(), "i", 40n, ALL);
    // Key 01: entry@10 and tombstone@20 go, entry@30 stays. Key 02: entry@20 stays. Document a@10 goes.
    expect(await p.pruneBefore(40n)).toEqual({ documents: 1, indexes: 2 });
    expect(await scan(p.reader(), "i", 40n, ALL)).toEqual(before);
    expect((await scan(p.reader(), "j", 40n, ALL)).length).toBe(1);
  });

  test("pruning a log far larger than one batch removes exactly the hidden rows", async (p) => {
    await writeLargeLog(p);
    const before = await scan(p.reader(), "i", 3000n, ALL);
    expect(before.length).toBe(1500);
    // Hidden: 2000 first revisions, 500 tombstones, and all 2500 revisions of "m".
    expect(await p.pruneBefore(3000n)).toEqual({
      documents: 5000,
      indexes: 5000,
    });
    expect(await scan(p.reader(), "i", 3000n, ALL)).toEqual(before);
    expect((await load(p.reader(), 0n, null)).length).toBe(1500);
    expect(await p.pruneBefore(3000n)).toEqual({ documents: 0, indexes: 0 });
  });

  test("reads and writes made while a prune runs see unchanged snapshots", async (p) => {
    await writeLargeLog(p);
    const before = await scan(p.reader(), "i", 3000n, ALL);
    const pruning = p.pruneBefore(3000n);
    for (let i = 0; i < 20; i++) {
      // A macrotask turn, so a driver that prunes in steps gets to take one between our calls.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await scan(p.reader(), "i", 3000n, ALL)).toEqual(before);
      await writeIndexed(
        p,
        "i",
        bytes(0x80, i),
        doc("t", `late${i}`, 4000n + BigInt(i), { i }),
      );
    }
    expect(await pruning).toEqual({ documents: 5000, indexes: 5000 });
    expect(await scan(p.reader(), "i", 3000n, ALL)).toEqual(before);
    expect((await scan(p.reader(), "i", 5000n, ALL)).length).toBe(1520);
  });
}
