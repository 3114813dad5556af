/**
 * Engine suite, serializability: random concurrent read-modify-write transactions, checked
 * against a sequential replay in commit-ts order. Every committed transaction must have read
 * exactly what the replay's state held at its turn.
 */
import { expect, test } from "vitest";
import type { Timestamp } from "../storage/persistence.js";
import {
  insertAll,
  scanAll,
  type EngineSuiteContext,
} from "./engine-suite-support.js";

const CELLS = 6;
const TRANSACTIONS = 40;
const RUNS = 3;

/** A deterministic PRNG (LCG) so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Plan {
  readonly reads: readonly number[];
  /** Also reads the total of every cell through a full index scan (a range read). */
  readonly scan: boolean;
  readonly writes: readonly { cell: number; delta: number }[];
}

interface Observed {
  readonly ts: Timestamp;
  readonly plan: Plan;
  readonly seen: readonly number[];
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function randomPlan(random: () => number): Plan {
  const pick = (): number => Math.floor(random() * CELLS);
  const reads = Array.from({ length: 1 + Math.floor(random() * 3) }, pick);
  const writes = Array.from({ length: Math.floor(random() * 3) }, () => ({
    cell: pick(),
    delta: 1 + Math.floor(random() * 5),
  }));
  return { reads, writes, scan: random() < 0.3 };
}

export function describeSerializabilitySuite(ctx: EngineSuiteContext): void {
  test("random concurrent transactions are equivalent to their commit-order replay", async () => {
    for (let run = 0; run < RUNS; run++) {
      const random = prng(1000 + run);
      const { database } = await ctx.create({
        occRetry: { maxRetries: 500, initialBackoffMs: 1, maxBackoffMs: 4 },
      });
      const { value: ids } = await database.runInTransaction((tx) =>
        insertAll(
          tx,
          "cells",
          Array.from({ length: CELLS }, () => ({ v: 0 })),
        ),
      );
      const plans = Array.from({ length: TRANSACTIONS }, () =>
        randomPlan(random),
      );
      const observed = await Promise.all(
        plans.map(async (plan): Promise<Observed> => {
          let seen: number[] = [];
          const { ts } = await database.runInTransaction(async (tx) => {
            seen = [];
            for (const cell of plan.reads) {
              seen.push((await tx.get(ids[cell]!))!.v as number);
              // Let other transactions commit between reads, so snapshots go stale.
              const yields = Math.floor(random() * 4);
              for (let i = 0; i < yields; i++) await macrotask();
            }
            if (plan.scan) {
              const all = await scanAll(tx, "cells", "by_creation_time");
              seen.push(all.reduce((a, d) => a + (d.v as number), 0));
            }
            const sum = seen.reduce((a, b) => a + b, 0);
            for (const { cell, delta } of plan.writes) {
              const doc = (await tx.get(ids[cell]!))!;
              await tx.patch(ids[cell]!, {
                v: (doc.v as number) + delta + (sum % 3),
              });
            }
          });
          return { ts, plan, seen };
        }),
      );
      const state = Array.from({ length: CELLS }, () => 0);
      // Read-only transactions "commit" at their snapshot: after the write commit of that ts.
      const rank = (o: Observed): number =>
        o.plan.writes.length === 0 ? 1 : 0;
      const ordered = [...observed].sort((a, b) =>
        a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : rank(a) - rank(b),
      );
      for (const { plan, seen } of ordered) {
        const expected = plan.reads.map((cell) => state[cell]!);
        if (plan.scan) expected.push(state.reduce((a, b) => a + b, 0));
        expect(seen).toEqual(expected);
        const sum = seen.reduce((a, b) => a + b, 0);
        for (const { cell, delta } of plan.writes)
          state[cell] = state[cell]! + delta + (sum % 3);
      }
      const tx = database.begin();
      const final = await Promise.all(
        ids.map(async (id) => (await tx.get(id))!.v),
      );
      tx.close();
      expect(final).toEqual(state);
    }
  });
}
