/**
 * Conformance: `indexScan` snapshots, byte order, intervals, limits, tombstones and batching.
 */
import { expect } from "vitest";
import type { Persistence } from "./persistence.js";
import {
  ALL,
  bytes,
  doc,
  entry,
  hex,
  scan,
  scanKeys,
  writeIndexed,
  type SuiteContext,
} from "./persistence-suite-support.js";

/** Keys chosen to trip up encodings: empty, 0x00/0xFF bytes, and prefixes of one another. */
const TRICKY_KEYS = [
  bytes(),
  bytes(0x00),
  bytes(0x00, 0x00),
  bytes(0x00, 0xff),
  bytes(0x01),
  bytes(0x7f),
  bytes(0x80),
  bytes(0x80, 0x00),
  bytes(0xfe, 0xff, 0xff),
  bytes(0xff),
  bytes(0xff, 0x00),
  bytes(0xff, 0xff),
  bytes(0xff, 0xff, 0xff, 0xff),
];
const TRICKY_HEX = TRICKY_KEYS.map(hex);

async function writeTrickyKeys(p: Persistence): Promise<void> {
  // Shuffled, so a driver that keeps insertion order fails.
  const order = [7, 2, 12, 0, 9, 4, 11, 1, 5, 10, 3, 8, 6];
  await p.write(
    {
      documents: order.map((i) => doc("t", `d${i}`, 1n, { i })),
      indexes: order.map((i) =>
        entry("i", TRICKY_KEYS[i]!, 1n, false, "t", `d${i}`),
      ),
    },
    "Error",
  );
}

export function describeIndexScanSuite({ test }: SuiteContext): void {
  test("keys come back in unsigned byte order, ascending and descending", async (p) => {
    await writeTrickyKeys(p);
    expect(await scanKeys(p.reader(), "i", 1n, ALL)).toEqual(TRICKY_HEX);
    expect(await scanKeys(p.reader(), "i", 1n, ALL, "desc")).toEqual(
      [...TRICKY_HEX].reverse(),
    );
  });

  test("interval start is inclusive, end exclusive, and a null end is unbounded", async (p) => {
    await writeTrickyKeys(p);
    const r = p.reader();
    for (let s = 0; s < TRICKY_KEYS.length; s++) {
      for (let e = 0; e <= TRICKY_KEYS.length; e++) {
        const interval = {
          start: TRICKY_KEYS[s]!,
          end: e === TRICKY_KEYS.length ? null : TRICKY_KEYS[e]!,
        };
        const want = TRICKY_HEX.slice(s, Math.max(s, e));
        expect(await scanKeys(r, "i", 1n, interval), `[${s}, ${e})`).toEqual(
          want,
        );
        expect(
          await scanKeys(r, "i", 1n, interval, "desc"),
          `[${s}, ${e}) desc`,
        ).toEqual([...want].reverse());
      }
    }
  });

  test("intervals between stored keys select what lies between them", async (p) => {
    await writeTrickyKeys(p);
    const r = p.reader();
    const interval = { start: bytes(0x00, 0x01), end: bytes(0xff, 0x00, 0x00) };
    expect(await scanKeys(r, "i", 1n, interval)).toEqual([
      "00ff",
      "01",
      "7f",
      "80",
      "8000",
      "feffff",
      "ff",
      "ff00",
    ]);
    expect(
      await scanKeys(r, "i", 1n, { start: bytes(0xff, 0xff, 0x00), end: null }),
    ).toEqual(["ffffffff"]);
  });

  test("an empty or inverted interval yields nothing", async (p) => {
    await writeTrickyKeys(p);
    const r = p.reader();
    for (const order of ["asc", "desc"] as const) {
      expect(
        await scanKeys(
          r,
          "i",
          1n,
          { start: bytes(0x01), end: bytes(0x01) },
          order,
        ),
      ).toEqual([]);
      expect(
        await scanKeys(
          r,
          "i",
          1n,
          { start: bytes(0x80), end: bytes(0x7f) },
          order,
        ),
      ).toEqual([]);
      expect(
        await scanKeys(
          r,
          "i",
          1n,
          { start: bytes(0x01, 0x00), end: bytes(0x7f) },
          order,
        ),
      ).toEqual([]);
    }
  });

  test("limit caps the entries in both directions and tombstones do not count", async (p) => {
    await writeTrickyKeys(p);
    await p.write(
      {
        documents: [
          doc("t", "d1", 2n, null, 1n),
          doc("t", "d11", 2n, null, 1n),
        ],
        indexes: [
          entry("i", TRICKY_KEYS[1]!, 2n, true, "t", "d1"),
          entry("i", TRICKY_KEYS[11]!, 2n, true, "t", "d11"),
        ],
      },
      "Error",
    );
    const r = p.reader();
    const live = TRICKY_HEX.filter((_, i) => i !== 1 && i !== 11);
    expect(await scanKeys(r, "i", 2n, ALL, "asc", 3)).toEqual(live.slice(0, 3));
    expect(await scanKeys(r, "i", 2n, ALL, "desc", 3)).toEqual(
      [...live].reverse().slice(0, 3),
    );
    expect(await scanKeys(r, "i", 2n, ALL, "asc", 1)).toEqual(live.slice(0, 1));
    expect(await scanKeys(r, "i", 2n, ALL, "asc", 0)).toEqual([]);
    expect(await scanKeys(r, "i", 2n, ALL, "asc", 100)).toEqual(live);
  });

  test("each key shows its newest revision at or before readTs", async (p) => {
    const key = bytes(5);
    await writeIndexed(p, "i", key, doc("t", "a", 10n, { v: 1 }));
    await writeIndexed(p, "i", key, doc("t", "a", 20n, { v: 2 }, 10n));
    await writeIndexed(p, "i", key, doc("t", "a", 30n, { v: 3 }, 20n));
    const r = p.reader();
    const values = async (readTs: bigint) =>
      (await scan(r, "i", readTs, ALL)).map((e) => [e.ts, e.document.value]);
    expect(await values(9n)).toEqual([]);
    expect(await values(10n)).toEqual([[10n, '{"v":1}']]);
    expect(await values(25n)).toEqual([[20n, '{"v":2}']]);
    expect(await values(1n << 62n)).toEqual([[30n, '{"v":3}']]);
  });

  test("the joined document is the revision written at the entry's ts", async (p) => {
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 10n, { v: 1 }));
    await p.write(
      { documents: [doc("t", "a", 20n, { v: 2 }, 10n)], indexes: [] },
      "Error",
    );
    const [e] = await scan(p.reader(), "i", 25n, ALL);
    expect(e).toEqual({
      key: "01",
      ts: 10n,
      document: {
        tableId: "t",
        id: "a",
        ts: 10n,
        value: '{"v":1}',
        prevTs: null,
      },
    });
  });

  test("a tombstoned entry is hidden from its ts on and visible before", async (p) => {
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 10n, { v: 1 }));
    await writeIndexed(p, "i", bytes(2), doc("t", "b", 11n, { v: 2 }));
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 20n, null, 10n));
    const r = p.reader();
    expect(await scanKeys(r, "i", 19n, ALL)).toEqual(["01", "02"]);
    expect(await scanKeys(r, "i", 20n, ALL)).toEqual(["02"]);
    expect(await scanKeys(r, "i", 20n, ALL, "desc")).toEqual(["02"]);
  });

  test("a key written again after its tombstone is visible with the new document", async (p) => {
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 10n, { v: 1 }));
    await writeIndexed(p, "i", bytes(1), doc("t", "a", 20n, null, 10n));
    await writeIndexed(p, "i", bytes(1), doc("t", "b", 30n, { v: 3 }));
    const r = p.reader();
    const docs = async (readTs: bigint) =>
      (await scan(r, "i", readTs, ALL)).map((e) => e.document.id);
    expect(await docs(15n)).toEqual(["a"]);
    expect(await docs(25n)).toEqual([]);
    expect(await docs(30n)).toEqual(["b"]);
  });

  test("an update that moves a document to a new key leaves the old key hidden", async (p) => {
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
    const r = p.reader();
    expect(
      (await scan(r, "i", 10n, ALL)).map((e) => [e.key, e.document.value]),
    ).toEqual([["01", '{"k":1}']]);
    expect(
      (await scan(r, "i", 20n, ALL)).map((e) => [e.key, e.document.value]),
    ).toEqual([["02", '{"k":2}']]);
  });

  test("a key with many versions shows the right one at every readTs", async (p) => {
    const key = bytes(0x42);
    for (let ts = 1n; ts <= 60n; ts++) {
      const tombstone = ts % 5n === 0n;
      await writeIndexed(
        p,
        "i",
        key,
        doc(
          "t",
          "a",
          ts,
          tombstone ? null : { ts: Number(ts) },
          ts === 1n ? null : ts - 1n,
        ),
      );
    }
    await writeIndexed(p, "i", bytes(0x41), doc("t", "z", 3n, {}));
    const r = p.reader();
    for (let readTs = 1n; readTs <= 61n; readTs++) {
      const newest = readTs > 60n ? 60n : readTs;
      const want = [];
      if (readTs >= 3n) want.push("41");
      if (newest % 5n !== 0n) want.push("42");
      const got = await scan(r, "i", readTs, ALL);
      expect(
        got.map((e) => e.key),
        `readTs ${readTs}`,
      ).toEqual(want);
      if (newest % 5n !== 0n)
        expect(got.at(-1)?.ts, `readTs ${readTs}`).toBe(newest);
    }
  });

  test("scans never see entries of other indexes", async (p) => {
    for (const [n, indexId] of ["a", "ab", "b", "", "a\u0000"].entries()) {
      await writeIndexed(
        p,
        indexId,
        bytes(n),
        doc("t", `d${n}`, BigInt(n + 1), { indexId }),
      );
    }
    const r = p.reader();
    expect(await scanKeys(r, "a", 10n, ALL)).toEqual(["00"]);
    expect(await scanKeys(r, "ab", 10n, ALL)).toEqual(["01"]);
    expect(await scanKeys(r, "b", 10n, ALL, "desc")).toEqual(["02"]);
    expect(await scanKeys(r, "c", 10n, ALL)).toEqual([]);
  });

  test("scans stream through more entries than fit in one batch", async (p) => {
    const n = 3000;
    const key = (i: number) => bytes(i >> 8, i & 0xff);
    await p.write(
      {
        documents: Array.from({ length: n }, (_, i) =>
          doc("t", `d${i}`, 1n, { i }),
        ),
        indexes: Array.from({ length: n }, (_, i) =>
          entry("i", key(i), 1n, false, "t", `d${i}`),
        ),
      },
      "Error",
    );
    // Tombstone every third entry, so batches also have to skip hidden keys.
    await p.write(
      {
        documents: [],
        indexes: Array.from({ length: n / 3 }, (_, j) =>
          entry("i", key(3 * j), 2n, true, "t", `d${3 * j}`),
        ),
      },
      "Error",
    );
    const r = p.reader();
    const live = Array.from({ length: n }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => hex(key(i)));
    expect(await scanKeys(r, "i", 2n, ALL)).toEqual(live);
    expect(await scanKeys(r, "i", 2n, ALL, "desc")).toEqual(
      [...live].reverse(),
    );
    expect(await scanKeys(r, "i", 2n, ALL, "asc", 1500)).toEqual(
      live.slice(0, 1500),
    );
    expect(await scanKeys(r, "i", 2n, ALL, "desc", 1999)).toEqual(
      [...live].reverse().slice(0, 1999),
    );
    expect((await scanKeys(r, "i", 1n, ALL)).length).toBe(n);
  });

  test("a suspended scan keeps its snapshot while later commits land", async (p) => {
    const n = 1200;
    await p.write(
      {
        documents: Array.from({ length: n }, (_, i) =>
          doc("t", `d${i}`, 1n, { i }),
        ),
        indexes: Array.from({ length: n }, (_, i) =>
          entry("i", bytes(i >> 8, i & 0xff, 1), 1n, false, "t", `d${i}`),
        ),
      },
      "Error",
    );
    const seen: string[] = [];
    let ts = 2n;
    for await (const e of p.reader().indexScan("i", 1n, ALL, "asc")) {
      seen.push(hex(e.key));
      if (seen.length % 100 === 1) {
        // Insert before and after the cursor, and delete the next key, at later timestamps.
        const i = seen.length;
        await p.write(
          {
            documents: [
              doc("t", `n${i}`, ts, {}),
              doc("t", `d${i}`, ts, null, 1n),
            ],
            indexes: [
              entry("i", bytes(0, 0), ts, false, "t", `n${i}`),
              entry("i", bytes(i >> 8, i & 0xff, 1), ts, true, "t", `d${i}`),
              entry("i", bytes(i >> 8, i & 0xff, 2), ts, false, "t", `n${i}`),
            ],
          },
          "Error",
        );
        ts++;
      }
    }
    expect(seen).toEqual(
      Array.from({ length: n }, (_, i) => hex(bytes(i >> 8, i & 0xff, 1))),
    );
  });

  test("a visible entry whose document revision is missing makes the scan fail", async (p) => {
    await p.write(
      {
        documents: [],
        indexes: [entry("i", bytes(1), 5n, false, "t", "ghost")],
      },
      "Error",
    );
    await expect(scan(p.reader(), "i", 5n, ALL)).rejects.toThrow();
    expect(await scan(p.reader(), "i", 4n, ALL)).toEqual([]);
  });
}
