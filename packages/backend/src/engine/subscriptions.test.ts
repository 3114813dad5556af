import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { KeyInterval } from "../storage/persistence.js";
import { indexKeyWrite, type IndexKeyWrite } from "./read-set.js";
import {
  type CommitWrites,
  type SubscribableReadSet,
  SubscriptionManager,
} from "./subscriptions.js";

function key(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function readSet(byIndex: Record<string, KeyInterval[]>): SubscribableReadSet {
  return {
    indexIds: () => Object.keys(byIndex),
    intervals: (id) => byIndex[id] ?? [],
  };
}

function commit(
  ts: bigint,
  byIndex: Record<string, Uint8Array[]>,
): CommitWrites {
  const indexWrites = new Map<string, IndexKeyWrite[]>();
  for (const [id, keys] of Object.entries(byIndex)) {
    indexWrites.set(
      id,
      keys.map((k) => indexKeyWrite(k, "t", "x")),
    );
  }
  return { ts, indexWrites };
}

describe("SubscriptionManager", () => {
  test("invalidates a subscription when a later commit writes inside its interval", () => {
    const manager = new SubscriptionManager({ initialTs: 10n });
    const fired: bigint[] = [];
    const sub = manager.subscribe(
      readSet({ i: [{ start: key(1), end: key(5) }] }),
      10n,
      (ts) => fired.push(ts),
    );
    manager.advance(commit(11n, { i: [key(5)] }));
    expect(fired).toEqual([]);
    manager.advance(commit(12n, { j: [key(2)] }));
    expect(fired).toEqual([]);
    manager.advance(commit(13n, { i: [key(4, 9)] }));
    expect(fired).toEqual([13n]);
    expect(sub.invalidatedAt).toBe(13n);
    expect(manager.size).toBe(0);
    manager.advance(commit(14n, { i: [key(2)] }));
    expect(fired).toEqual([13n]);
  });

  test("treats a null interval end as unbounded", () => {
    const manager = new SubscriptionManager({ initialTs: 0n });
    const fired: bigint[] = [];
    manager.subscribe(
      readSet({ i: [{ start: key(7), end: null }] }),
      0n,
      (ts) => fired.push(ts),
    );
    manager.advance(commit(1n, { i: [key(6, 255)] }));
    manager.advance(commit(2n, { i: [key(255, 255, 255)] }));
    expect(fired).toEqual([2n]);
  });

  test("never calls back after unsubscribe", () => {
    const manager = new SubscriptionManager({ initialTs: 0n });
    let fired = 0;
    const sub = manager.subscribe(
      readSet({ i: [{ start: key(0), end: null }] }),
      0n,
      () => fired++,
    );
    sub.unsubscribe();
    sub.unsubscribe();
    manager.advance(commit(1n, { i: [key(1)] }));
    expect(fired).toBe(0);
    expect(manager.size).toBe(0);
  });

  test("checks a read set taken before already processed commits against them", () => {
    const manager = new SubscriptionManager({ initialTs: 0n });
    manager.advance(commit(5n, { i: [key(3)] }));
    manager.advance(commit(6n, { i: [key(9)] }));
    const fired: bigint[] = [];
    const hit = manager.subscribe(
      readSet({ i: [{ start: key(3), end: key(4) }] }),
      4n,
      (ts) => fired.push(ts),
    );
    expect(hit.invalidatedAt).toBe(5n);
    const clear = manager.subscribe(
      readSet({ i: [{ start: key(4), end: key(9) }] }),
      4n,
      (ts) => fired.push(ts),
    );
    expect(clear.invalidatedAt).toBeNull();
    expect(fired).toEqual([5n]);
  });

  test("invalidates at once a read set older than the retained commits", () => {
    const manager = new SubscriptionManager({
      initialTs: 0n,
      retainedCommits: 2,
    });
    for (const ts of [1n, 2n, 3n])
      manager.advance(commit(ts, { other: [key(1)] }));
    const sub = manager.subscribe(
      readSet({ i: [{ start: key(0), end: null }] }),
      0n,
      () => {},
    );
    expect(sub.invalidatedAt).toBe(3n);
    const recent = manager.subscribe(
      readSet({ i: [{ start: key(0), end: null }] }),
      2n,
      () => {},
    );
    expect(recent.invalidatedAt).toBeNull();
  });

  test("ignores commits at or before a subscription's own timestamp", () => {
    const manager = new SubscriptionManager({ initialTs: 0n });
    let fired = 0;
    manager.subscribe(
      readSet({ i: [{ start: key(0), end: null }] }),
      5n,
      () => fired++,
    );
    manager.advance(commit(5n, { i: [key(1)] }));
    expect(fired).toBe(0);
    manager.advance(commit(6n, { i: [key(1)] }));
    expect(fired).toBe(1);
  });

  test("invalidates exactly the subscriptions a brute-force scan would (property)", () => {
    const byte = fc.integer({ min: 0, max: 12 });
    const keyArb = fc
      .array(byte, { minLength: 1, maxLength: 2 })
      .map((b) => key(...b));
    const intervalArb = fc
      .tuple(keyArb, fc.option(keyArb, { nil: null }))
      .map(([a, b]): KeyInterval => ({ start: a, end: b }));
    const subArb = fc.dictionary(
      fc.constantFrom("a", "b"),
      fc.array(intervalArb, { maxLength: 3 }),
    );
    const commitArb = fc.dictionary(
      fc.constantFrom("a", "b"),
      fc.array(keyArb, { maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.array(subArb, { maxLength: 25 }),
        fc.array(commitArb, { maxLength: 6 }),
        fc.array(fc.nat(30), { maxLength: 10 }),
        (subs, commits, removals) => {
          const manager = new SubscriptionManager({ initialTs: 0n });
          const fired = new Map<number, bigint>();
          const handles = subs.map((s, i) =>
            manager.subscribe(readSet(s), 0n, (ts) => fired.set(i, ts)),
          );
          const removed = new Set(removals.filter((r) => r < subs.length));
          for (const r of removed) handles[r]!.unsubscribe();
          const expected = new Map<number, bigint>();
          commits.forEach((c, n) => {
            const ts = BigInt(n + 1);
            manager.advance(commit(ts, c));
            subs.forEach((s, i) => {
              if (removed.has(i) || expected.has(i)) return;
              const hit = Object.entries(c).some(([id, keys]) =>
                keys.some((k) => (s[id] ?? []).some((iv) => inside(iv, k))),
              );
              if (hit) expected.set(i, ts);
            });
          });
          expect(fired).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function inside(interval: KeyInterval, k: Uint8Array): boolean {
  return (
    Buffer.compare(interval.start, k) <= 0 &&
    (interval.end === null || Buffer.compare(k, interval.end) < 0)
  );
}
