import { describe, expect, test } from "vitest";
import { encodeIndexKey } from "../values/index-key.js";
import {
  ReadSet,
  indexKeyWrite,
  pointInterval,
  type ReadSetProbe,
} from "./read-set.js";
import { WriteLog, type CommittedWrite } from "./write-log.js";

const MS = 1_000_000n;

function commit(ts: bigint, n: number): CommittedWrite {
  const key = encodeIndexKey([n]);
  return {
    ts,
    indexWrites: new Map([["i", [indexKeyWrite(key, "t", `id${n}`)]]]),
    documents: [],
  };
}

function reading(n: number): ReadSetProbe {
  const readSet = new ReadSet();
  readSet.add("i", pointInterval(encodeIndexKey([n])));
  return readSet.probe();
}

describe("WriteLog", () => {
  test("reports the first overlapping commit after the snapshot", () => {
    const log = new WriteLog(0n);
    log.append(commit(10n, 1));
    log.append(commit(20n, 2));
    log.append(commit(30n, 2));
    expect(log.findConflict(reading(2), 10n)).toMatchObject({
      type: "write",
      ts: 20n,
    });
    expect(log.findConflict(reading(2), 30n)).toBeNull();
    expect(log.findConflict(reading(1), 10n)).toBeNull();
    expect(log.findConflict(reading(1), 5n)).toMatchObject({
      type: "write",
      ts: 10n,
    });
  });

  test("evicts by count and age, and refuses snapshots older than the horizon", () => {
    const log = new WriteLog(0n, { maxEntries: 2, maxAgeMs: 1000 });
    log.append(commit(1n * MS, 1));
    log.append(commit(2n * MS, 2));
    log.append(commit(3n * MS, 3));
    expect(log.horizonTs).toBe(1n * MS);
    expect(log.findConflict(reading(9), 0n)).toEqual({
      type: "outOfRetention",
    });
    expect(log.findConflict(reading(3), 1n * MS)).toMatchObject({
      type: "write",
    });
    log.append(commit(5000n * MS, 4));
    expect(log.horizonTs).toBe(3n * MS);
    expect(log.commitsAfter(3n * MS).map((c) => c.ts)).toEqual([5000n * MS]);
    expect(() => log.commitsAfter(0n)).toThrow();
  });
});
