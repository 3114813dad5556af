/**
 * Conformance: `getDocument` snapshots and `loadDocuments` ranges and order.
 */
import { expect } from "vitest";
import type { DocumentLogEntry } from "./persistence.js";
import {
  doc,
  load,
  plainDoc,
  type SuiteContext,
} from "./persistence-suite-support.js";

export function describeReadSuite({ test }: SuiteContext): void {
  test("getDocument returns the newest revision at or before readTs, tombstones included", async (p) => {
    const revisions = [
      doc("t", "a", 10n, { v: 1 }),
      doc("t", "a", 20n, { v: 2 }, 10n),
      doc("t", "a", 30n, null, 20n),
      doc("t", "a", 40n, { v: 4 }, 30n),
    ];
    for (const d of revisions)
      await p.write({ documents: [d], indexes: [] }, "Error");
    const r = p.reader();
    const expected: [bigint, DocumentLogEntry | null][] = [
      [0n, null],
      [9n, null],
      [10n, revisions[0]!],
      [19n, revisions[0]!],
      [20n, revisions[1]!],
      [29n, revisions[1]!],
      [30n, revisions[2]!],
      [39n, revisions[2]!],
      [40n, revisions[3]!],
      [1n << 62n, revisions[3]!],
    ];
    for (const [readTs, want] of expected) {
      expect(
        plainDoc(await r.getDocument("t", "a", readTs)),
        `readTs ${readTs}`,
      ).toEqual(plainDoc(want));
    }
  });

  test("getDocument keeps documents of different tables and ids apart", async (p) => {
    await p.write(
      {
        documents: [
          doc("t", "a", 1n, { w: "t/a" }),
          doc("u", "a", 2n, { w: "u/a" }),
          doc("t", "ab", 3n, { w: "t/ab" }),
          doc("tu", "a", 4n, { w: "tu/a" }),
        ],
        indexes: [],
      },
      "Error",
    );
    const r = p.reader();
    expect((await r.getDocument("t", "a", 10n))?.value).toBe('{"w":"t/a"}');
    expect((await r.getDocument("u", "a", 10n))?.value).toBe('{"w":"u/a"}');
    expect((await r.getDocument("t", "ab", 10n))?.value).toBe('{"w":"t/ab"}');
    expect((await r.getDocument("tu", "a", 10n))?.value).toBe('{"w":"tu/a"}');
    expect(await r.getDocument("t", "b", 10n)).toBeNull();
    expect(await r.getDocument("v", "a", 10n)).toBeNull();
  });

  test("getDocument returns prevTs as written", async (p) => {
    await p.write(
      { documents: [doc("t", "a", 1n, { v: 1 })], indexes: [] },
      "Error",
    );
    await p.write(
      { documents: [doc("t", "a", 7n, { v: 2 }, 1n)], indexes: [] },
      "Error",
    );
    const r = p.reader();
    expect((await r.getDocument("t", "a", 1n))?.prevTs).toBeNull();
    expect((await r.getDocument("t", "a", 7n))?.prevTs).toBe(7n - 6n);
  });

  test("loadDocuments yields revisions ordered by (ts, tableId, id), and reversed", async (p) => {
    const documents = [
      doc("u", "a", 2n, { n: 4 }),
      doc("t", "b", 1n, { n: 2 }),
      doc("t", "a", 2n, { n: 3 }),
      doc("u", "a", 1n, { n: 1 }),
      doc("t", "a", 3n, null, 2n),
      doc("t", "b", 2n, { n: 5 }, 1n),
    ];
    await p.write({ documents, indexes: [] }, "Error");
    const sorted = [...documents].sort(compareLogOrder).map((d) => plainDoc(d));
    expect(await load(p.reader(), 0n, null)).toEqual(sorted);
    expect(await load(p.reader(), 0n, null, "desc")).toEqual(
      [...sorted].reverse(),
    );
  });

  test("loadDocuments includes start, excludes end, and treats a null end as unbounded", async (p) => {
    for (let ts = 1n; ts <= 9n; ts++) {
      await p.write(
        {
          documents: [doc("t", `d${ts}`, ts, { ts: Number(ts) })],
          indexes: [],
        },
        "Error",
      );
    }
    const r = p.reader();
    const tss = async (
      start: bigint,
      end: bigint | null,
      order: "asc" | "desc" = "asc",
    ) => (await load(r, start, end, order)).map((d) => d.ts);
    expect(await tss(3n, 6n)).toEqual([3n, 4n, 5n]);
    expect(await tss(3n, 6n, "desc")).toEqual([5n, 4n, 3n]);
    expect(await tss(7n, null)).toEqual([7n, 8n, 9n]);
    expect(await tss(7n, null, "desc")).toEqual([9n, 8n, 7n]);
    expect(await tss(0n, 2n)).toEqual([1n]);
    expect(await tss(5n, 5n)).toEqual([]);
    expect(await tss(6n, 3n)).toEqual([]);
    expect(await tss(10n, null)).toEqual([]);
  });

  test("loadDocuments streams more revisions than fit in one batch, in both orders", async (p) => {
    const documents = Array.from({ length: 2500 }, (_, i) =>
      doc(`t${i % 3}`, `d${i % 7}`, BigInt(1 + Math.floor(i / 21)), { i }),
    );
    await p.write({ documents, indexes: [] }, "Error");
    const sorted = [...documents].sort(compareLogOrder).map((d) => plainDoc(d));
    expect(await load(p.reader(), 0n, null)).toEqual(sorted);
    expect(await load(p.reader(), 0n, null, "desc")).toEqual(
      [...sorted].reverse(),
    );
    const middle = sorted.filter((d) => d.ts >= 30n && d.ts < 90n);
    expect(await load(p.reader(), 30n, 90n)).toEqual(middle);
  });

  test("a partly read loadDocuments can be abandoned and the store stays usable", async (p) => {
    const documents = Array.from({ length: 300 }, (_, i) =>
      doc("t", `d${i}`, BigInt(i + 1), {}),
    );
    await p.write({ documents, indexes: [] }, "Error");
    const stream = p.reader().loadDocuments({ start: 0n, end: null }, "asc");
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++)
      expect((await iterator.next()).done).toBe(false);
    await iterator.return?.();
    await p.write(
      { documents: [doc("t", "late", 1000n, {})], indexes: [] },
      "Error",
    );
    expect(await p.reader().maxTs()).toBe(1000n);
  });
}

function compareLogOrder(a: DocumentLogEntry, b: DocumentLogEntry): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.tableId !== b.tableId) return a.tableId < b.tableId ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}
