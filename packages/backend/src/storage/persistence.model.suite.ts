/**
 * Conformance: a randomized model check. Random commits (inserts, updates that may move a
 * document to another key, deletes), random prunes and random snapshot reads run against the
 * driver and against a naive in-test model of the log; every read must agree.
 */
import fc from "fast-check";
import { expect } from "vitest";
import type {
  DocumentLogEntry,
  IndexEntry,
  Order,
  Persistence,
  Timestamp,
} from "./persistence.js";
import {
  doc,
  entry,
  hex,
  plainDoc,
  scan,
  type PlainDocument,
  type PlainScanEntry,
  type SuiteContext,
} from "./persistence-suite-support.js";

/** Fixed so failures reproduce; change it locally to explore other programs. */
const MODEL_SEED = 20_261_122;
const DOC_COUNT = 6;
/** Index key bytes: the extremes and a middle value, so keys with 0x00/0xFF and prefixes abound. */
const keyBytes = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0xff), {
  maxLength: 3,
});

const change = fc.record({
  doc: fc.nat(DOC_COUNT - 1),
  remove: fc.boolean(),
  key: keyBytes,
  value: fc.nat(99),
});
const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant("commit" as const),
      gap: fc.integer({ min: 1, max: 3 }),
      changes: fc.array(change, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("prune" as const),
      back: fc.nat(6),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("check" as const),
      back: fc.nat(8),
      start: keyBytes,
      end: fc.option(keyBytes),
      order: fc.constantFrom<Order>("asc", "desc"),
      limit: fc.option(fc.integer({ min: 1, max: 5 })),
      doc: fc.nat(DOC_COUNT - 1),
    }),
  },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
type CommitOp = Extract<Op, { type: "commit" }>;
type CheckOp = Extract<Op, { type: "check" }>;

/** The naive log: every row ever written, searched linearly. */
class LogModel {
  readonly documents: DocumentLogEntry[] = [];
  readonly indexes: IndexEntry[] = [];
  /** The live key of each document in index `i`, to know which entry an update replaces. */
  readonly #liveKeys = new Map<number, Uint8Array>();
  ts = 0n;
  pruneBound = 0n;

  /** Turns a commit op into a write (one change per document), and records it. */
  commit(o: CommitOp): {
    documents: DocumentLogEntry[];
    indexes: IndexEntry[];
  } {
    this.ts += BigInt(o.gap);
    const documents: DocumentLogEntry[] = [];
    const indexes: IndexEntry[] = [];
    const seen = new Set<number>();
    for (const c of o.changes) {
      if (seen.has(c.doc)) continue;
      seen.add(c.doc);
      this.#change(c, documents, indexes);
    }
    this.documents.push(...documents);
    this.indexes.push(...indexes);
    return { documents, indexes };
  }

  #change(
    c: CommitOp["changes"][number],
    documents: DocumentLogEntry[],
    indexes: IndexEntry[],
  ): void {
    const [tableId, id] = docName(c.doc);
    const prev = this.getDocument(tableId, id, this.ts);
    const oldKey = this.#liveKeys.get(c.doc);
    const idKey = Uint8Array.of(c.doc);
    if (c.remove) {
      if (prev === null || prev.value === null || oldKey === undefined) return;
      documents.push(doc(tableId, id, this.ts, null, prev.ts));
      indexes.push(
        entry("i", oldKey, this.ts, true, tableId, id),
        entry("by_id", idKey, this.ts, true, tableId, id),
      );
      this.#liveKeys.delete(c.doc);
      return;
    }
    const key = Uint8Array.from([...c.key, c.doc]);
    documents.push(doc(tableId, id, this.ts, { v: c.value }, prev?.ts ?? null));
    if (oldKey !== undefined && hex(oldKey) !== hex(key))
      indexes.push(entry("i", oldKey, this.ts, true, tableId, id));
    indexes.push(
      entry("i", key, this.ts, false, tableId, id),
      entry("by_id", idKey, this.ts, false, tableId, id),
    );
    this.#liveKeys.set(c.doc, key);
  }

  getDocument(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): DocumentLogEntry | null {
    let best: DocumentLogEntry | null = null;
    for (const d of this.documents) {
      if (
        d.tableId === tableId &&
        d.id === id &&
        d.ts <= readTs &&
        (best === null || d.ts > best.ts)
      )
        best = d;
    }
    return best;
  }

  scan(
    indexId: string,
    readTs: Timestamp,
    start: string,
    end: string | null,
    order: Order,
    limit: number | null,
  ): PlainScanEntry[] {
    const newest = new Map<string, IndexEntry>();
    for (const e of this.indexes) {
      if (e.indexId !== indexId || e.ts > readTs) continue;
      const k = hex(e.key);
      const seen = newest.get(k);
      if (seen === undefined || e.ts > seen.ts) newest.set(k, e);
    }
    const keys = [...newest.keys()]
      .filter((k) => k >= start && (end === null || k < end))
      .sort();
    if (order === "desc") keys.reverse();
    const out: PlainScanEntry[] = [];
    for (const k of keys) {
      const e = newest.get(k)!;
      if (e.deleted) continue;
      if (limit !== null && out.length >= limit) break;
      const d = this.documents.find(
        (x) => x.tableId === e.tableId && x.id === e.docId && x.ts === e.ts,
      )!;
      out.push({ key: k, ts: e.ts, document: plainDoc(d) });
    }
    return out;
  }
}

function docName(n: number): [string, string] {
  return [`t${n % 2}`, `d${n}`];
}

async function check(
  p: Persistence,
  model: LogModel,
  o: CheckOp,
): Promise<void> {
  const floor = model.pruneBound;
  const readTs =
    model.ts + 1n - BigInt(o.back) < floor
      ? floor
      : model.ts + 1n - BigInt(o.back);
  const interval = {
    start: Uint8Array.from(o.start),
    end: o.end === null ? null : Uint8Array.from(o.end),
  };
  const r = p.reader();
  for (const indexId of ["i", "by_id"]) {
    const got = await scan(
      r,
      indexId,
      readTs,
      interval,
      o.order,
      o.limit ?? undefined,
    );
    const want = model.scan(
      indexId,
      readTs,
      hex(interval.start),
      interval.end && hex(interval.end),
      o.order,
      o.limit,
    );
    expect(got, `${indexId} at ${readTs}`).toEqual(want);
  }
  const [tableId, id] = docName(o.doc);
  const pruned = floor > 0n;
  const normalise = (d: PlainDocument | null) =>
    pruned && d?.value === null ? null : d;
  expect(normalise(plainDoc(await r.getDocument(tableId, id, readTs)))).toEqual(
    normalise(plainDoc(model.getDocument(tableId, id, readTs))),
  );
}

async function runProgram(p: Persistence, ops: readonly Op[]): Promise<void> {
  const model = new LogModel();
  for (const o of ops) {
    switch (o.type) {
      case "commit": {
        const write = model.commit(o);
        await p.write(write, "Error");
        break;
      }
      case "prune": {
        const bound = model.ts - BigInt(o.back);
        if (bound > model.pruneBound) {
          await p.pruneBefore(bound);
          model.pruneBound = bound;
        }
        break;
      }
      case "check":
        await check(p, model, o);
        break;
      default:
        o satisfies never;
    }
  }
  await check(p, model, {
    type: "check",
    back: 0,
    start: [],
    end: null,
    order: "asc",
    limit: null,
    doc: 0,
  });
}

export function describeModelSuite(
  { testFresh }: SuiteContext,
  numRuns: number,
): void {
  testFresh(
    "random commits, prunes and snapshot reads agree with a naive model",
    async (fresh) => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) =>
          fresh((p) => runProgram(p, ops)),
        ),
        { numRuns, seed: MODEL_SEED },
      );
    },
    120_000,
  );
}
