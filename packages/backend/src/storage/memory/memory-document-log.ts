/**
 * The document half of `MemoryPersistence`: every revision, reachable by document (for snapshot
 * reads) and in log order `(ts, tableId, id)` (for `loadDocuments`).
 */
import type {
  DocumentLogEntry,
  Order,
  Timestamp,
  TimestampRange,
} from "../persistence.js";
import {
  compareStrings,
  compareTimestamps,
  lowerBound,
  upperBound,
} from "./sorted-array.js";

function compareLogOrder(a: DocumentLogEntry, b: DocumentLogEntry): number {
  return (
    compareTimestamps(a.ts, b.ts) ||
    compareStrings(a.tableId, b.tableId) ||
    compareStrings(a.id, b.id)
  );
}

const byTs = (d: DocumentLogEntry, ts: Timestamp) =>
  compareTimestamps(d.ts, ts);

export class MemoryDocumentLog {
  /** tableId → id → revisions in ascending ts. */
  readonly #byDocument = new Map<string, Map<string, DocumentLogEntry[]>>();
  /** Every revision in log order. Writes mostly append, since commit timestamps grow. */
  #log: DocumentLogEntry[] = [];
  /** Bumped on every change, so suspended iterations know to find their place again. */
  #generation = 0;

  /** The revisions of one document, oldest first (empty when there are none). */
  #revisions(tableId: string, id: string): readonly DocumentLogEntry[] {
    return this.#byDocument.get(tableId)?.get(id) ?? [];
  }

  /** True when revision `(tableId, id, ts)` is stored. */
  has(tableId: string, id: string, ts: Timestamp): boolean {
    return this.exact(tableId, id, ts) !== null;
  }

  /** Revision `(tableId, id, ts)`, or null. */
  exact(tableId: string, id: string, ts: Timestamp): DocumentLogEntry | null {
    const revisions = this.#revisions(tableId, id);
    const i = lowerBound(revisions, ts, byTs);
    const found = revisions[i];
    return found !== undefined && found.ts === ts ? found : null;
  }

  /** The newest revision with `ts <= readTs`, or null. */
  latest(
    tableId: string,
    id: string,
    readTs: Timestamp,
  ): DocumentLogEntry | null {
    const revisions = this.#revisions(tableId, id);
    return revisions[upperBound(revisions, readTs, byTs) - 1] ?? null;
  }

  maxTs(): Timestamp | null {
    return this.#log.at(-1)?.ts ?? null;
  }

  /** Stores `d`, replacing a stored revision with the same `(tableId, id, ts)`. */
  put(d: DocumentLogEntry): void {
    this.#generation++;
    let table = this.#byDocument.get(d.tableId);
    if (table === undefined)
      this.#byDocument.set(
        d.tableId,
        (table = new Map<string, DocumentLogEntry[]>()),
      );
    let revisions = table.get(d.id);
    if (revisions === undefined) table.set(d.id, (revisions = []));
    const i = lowerBound(revisions, d.ts, byTs);
    const replace = revisions[i]?.ts === d.ts;
    revisions.splice(i, replace ? 1 : 0, d);
    const last = this.#log.at(-1);
    if (!replace && (last === undefined || compareLogOrder(last, d) < 0)) {
      this.#log.push(d);
      return;
    }
    const j = lowerBound(this.#log, d, compareLogOrder);
    this.#log.splice(j, replace ? 1 : 0, d);
  }

  /** Yields revisions with `ts` in `range` in log order; survives changes between steps. */
  *load(range: TimestampRange, order: Order): Generator<DocumentLogEntry> {
    const inRange = (d: DocumentLogEntry) =>
      d.ts >= range.start && (range.end === null || d.ts < range.end);
    let generation = this.#generation;
    let i =
      order === "asc"
        ? lowerBound(this.#log, range.start, byTs)
        : (range.end === null
            ? this.#log.length
            : lowerBound(this.#log, range.end, byTs)) - 1;
    for (;;) {
      const d = this.#log[i];
      if (d === undefined || !inRange(d)) return;
      yield d;
      if (generation !== this.#generation) {
        generation = this.#generation;
        i =
          order === "asc"
            ? upperBound(this.#log, d, compareLogOrder)
            : lowerBound(this.#log, d, compareLogOrder) - 1;
      } else {
        i += order === "asc" ? 1 : -1;
      }
    }
  }

  /** Deletes what no snapshot at or after `minSnapshotTs` sees; returns how many revisions. */
  prune(minSnapshotTs: Timestamp): number {
    const removed = new Set<DocumentLogEntry>();
    for (const table of this.#byDocument.values()) {
      for (const [id, revisions] of table) {
        const newest = upperBound(revisions, minSnapshotTs, byTs) - 1;
        if (newest < 0) continue;
        const cut = revisions[newest]!.value === null ? newest + 1 : newest;
        for (const d of revisions.splice(0, cut)) removed.add(d);
        if (revisions.length === 0) table.delete(id);
      }
    }
    if (removed.size > 0) {
      this.#generation++;
      this.#log = this.#log.filter((d) => !removed.has(d));
    }
    return removed.size;
  }
}
