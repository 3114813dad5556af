import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { IndexEntry, KeyInterval, Order } from "../persistence.js";
import { doc, entry, hex, scanKeys } from "../persistence-suite-support.js";
import { buildIndexScanStatement } from "./postgres-index-scan.js";
import {
  createPostgresPersistence,
  type PostgresPersistence,
} from "./postgres-persistence.js";
import { KEY_PREFIX_BYTES } from "./postgres-schema.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

/** Deterministic filler bytes (a linear congruential sequence), so failures reproduce. */
function filler(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const P = filler(KEY_PREFIX_BYTES, 1);
/** `P` with its last byte incremented: a second long prefix sorting right after `P`. */
const P2 = Buffer.concat([
  P.subarray(0, -1),
  Buffer.from([(P.at(-1) ?? 0) + 1]),
]);
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

/**
 * Keys around and beyond the 2,500-byte split: a run of 300 keys sharing `P` (more than the first
 * batch of 128, in an order unrelated to their hashes), keys that are prefixes of others, keys
 * equal to the prefix exactly, and short keys on either side.
 */
function longKeys(): Buffer[] {
  const run = Array.from({ length: 300 }, (_, i) =>
    cat(P, b(i >> 8, i & 0xff), filler(300, i)),
  );
  return [
    b(0),
    P.subarray(0, 100),
    P,
    cat(P, b(0)),
    cat(P, b(0, 0)),
    cat(P, b(0, 0xff)),
    ...run,
    cat(P, b(0xff)),
    cat(P, b(0xff), filler(5000, 7)),
    P2,
    cat(P2, b(0)),
    cat(P2.subarray(0, 2000), b(0xff, 0xff)),
    b(0xff),
  ];
}

describe("PostgresPersistence index scans", () => {
  let database: TestDatabase;
  let p: PostgresPersistence;
  const keys = longKeys();
  const sorted = [...keys]
    .sort((x, y) => Buffer.compare(x, y))
    .map((k) => hex(k));
  /** Every seventh key is deleted at ts 2; every key is written at ts 1. */
  const deleted = new Set(
    keys.filter((_, i) => i % 7 === 3).map((k) => hex(k)),
  );

  beforeAll(async () => {
    database = await createTestDatabase();
    p = await createPostgresPersistence({ url: database.url });
    const documents = keys.map((_, i) => doc("t", `d${i}`, 1n, { i }));
    const indexes: IndexEntry[] = keys.map((k, i) =>
      entry("i", k, 1n, false, "t", `d${i}`),
    );
    const tombstones = keys.flatMap((k, i) =>
      deleted.has(hex(k)) ? [entry("i", k, 2n, true, "t", `d${i}`)] : [],
    );
    await p.write({ documents, indexes: [...indexes, ...tombstones] }, "Error");
  });

  afterAll(async () => {
    await p.close();
    await database[Symbol.asyncDispose]();
  });

  const scan = (
    readTs: bigint,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ) => scanKeys(p.reader(), "i", readTs, interval, order, limit);
  const all: KeyInterval = { start: new Uint8Array(0), end: null };

  test("keys longer than the indexed prefix come back in byte order, both directions", async () => {
    expect(await scan(1n, all, "asc")).toEqual(sorted);
    expect(await scan(1n, all, "desc")).toEqual([...sorted].reverse());
  });

  test("tombstoned long keys are hidden and limits cut runs of long keys exactly", async () => {
    const visible = sorted.filter((k) => !deleted.has(k));
    expect(await scan(2n, all, "asc")).toEqual(visible);
    expect(await scan(2n, all, "desc")).toEqual([...visible].reverse());
    for (const limit of [1, 5, 127, 128, 129, 200]) {
      expect(await scan(2n, all, "asc", limit)).toEqual(
        visible.slice(0, limit),
      );
      expect(await scan(2n, all, "desc", limit)).toEqual(
        [...visible].reverse().slice(0, limit),
      );
    }
  });

  test("interval bounds inside a run of long keys select exactly the keys between them", async () => {
    const bounds = [
      { start: cat(P, b(0, 0x80)), end: cat(P, b(0, 0x90)) },
      { start: P, end: P2 },
      { start: cat(P, b(0)), end: cat(P, b(0)) },
      { start: P.subarray(0, 100), end: cat(P, b(0, 0)) },
      { start: cat(P, b(0xff)), end: null },
    ];
    for (const { start, end } of bounds) {
      const want = sorted.filter((k) => {
        const key = Buffer.from(k, "hex");
        return (
          Buffer.compare(key, start) >= 0 &&
          (end === null || Buffer.compare(key, end) < 0)
        );
      });
      expect(
        await scan(1n, { start, end }, "asc"),
        hex(start).slice(-8),
      ).toEqual(want);
      expect(
        await scan(1n, { start, end }, "desc"),
        hex(start).slice(-8),
      ).toEqual([...want].reverse());
    }
  });
});

describe("PostgresPersistence pruning of long keys", () => {
  test("keys sharing the indexed prefix are pruned as distinct keys", async () => {
    await using database = await createTestDatabase();
    const p = await createPostgresPersistence({ url: database.url });
    try {
      const [kept, removed] = [cat(P, b(1)), cat(P, b(2))];
      await p.write(
        {
          documents: [
            doc("t", "a", 1n, {}),
            doc("t", "b", 1n, {}),
            doc("t", "b", 2n, null, 1n),
          ],
          indexes: [
            entry("i", kept, 1n, false, "t", "a"),
            entry("i", removed, 1n, false, "t", "b"),
            entry("i", removed, 2n, true, "t", "b"),
          ],
        },
        "Error",
      );
      expect(await p.pruneBefore(2n)).toEqual({ documents: 2, indexes: 2 });
      expect(
        await scanKeys(p.reader(), "i", 2n, { start: P, end: null }, "asc"),
      ).toEqual([hex(kept)]);
    } finally {
      await p.close();
    }
  });
});

describe("PostgresPersistence index scan plans", () => {
  test("a batch walks an index and reads about as many rows as it returns", async () => {
    await using database = await createTestDatabase();
    const p = await createPostgresPersistence({ url: database.url });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const n = 4000;
      const documents = Array.from({ length: n }, (_, i) =>
        doc("t", `d${i}`, BigInt(i + 1), {}),
      );
      const indexes = documents.map((d, i) =>
        entry(
          i % 2 === 0 ? "a" : "b",
          b(i >> 8, i & 0xff),
          d.ts,
          false,
          "t",
          d.id,
        ),
      );
      await p.write({ documents, indexes }, "Error");
      await client.query("ANALYZE");
      for (const order of ["asc", "desc"] as const) {
        const statement = buildIndexScanStatement({
          indexId: "a",
          readTs: BigInt(n),
          interval: { start: b(1), end: b(0x0e) },
          order,
          limit: undefined,
          firstBatchRows: 10,
          maxBatchRows: 10,
        });
        const { rows } = await client.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${statement.text}`,
          statement.values as unknown[],
        );
        const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
        expect(plan, plan).toMatch(/Index Scan.* on indexes /);
        expect(plan, plan).not.toMatch(/Seq Scan on indexes|Sort/);
        const read = /Index Scan.* on indexes .*\(actual rows=(\d+)/.exec(
          plan,
        )?.[1];
        expect(Number(read), plan).toBeLessThanOrEqual(20);
      }
    } finally {
      await client.end();
      await p.close();
    }
  });
});
