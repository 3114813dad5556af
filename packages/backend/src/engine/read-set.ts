/**
 * Read sets: what a transaction or query read, as half-open key intervals per index. The
 * committer tests them against later writes (OCC) and subscriptions test them against every
 * commit (invalidation), so both questions are answered here.
 */
import type { KeyInterval } from "../storage/persistence.js";
import { compareKeys } from "../values/index-key.js";

/** One written index key (both the old and the new key of an updated document are written). */
export interface IndexKeyWrite {
  readonly key: Uint8Array;
  /** `key` as text for fast comparisons (see {@link keyText}). */
  readonly text: string;
  /** The table of the written document, for OCC messages. */
  readonly tableName: string;
  readonly id: string;
}

/**
 * A key as a string with one UTF-16 code unit per byte (latin1). JavaScript compares strings by
 * code unit, so these strings sort exactly as the keys' bytes do, and comparing them needs no
 * native call: OCC checks compare every written key against every read interval.
 */
export function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString(
    "latin1",
  );
}

/** The {@link IndexKeyWrite} of `key`. */
export function indexKeyWrite(
  key: Uint8Array,
  tableName: string,
  id: string,
): IndexKeyWrite {
  return { key, text: keyText(key), tableName, id };
}

/** The index keys one commit wrote, by index id. */
export type IndexWrites = ReadonlyMap<string, readonly IndexKeyWrite[]>;

/** The smallest key greater than `key`: keys are byte strings, so append a zero byte. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/** The interval holding exactly `key`. */
export function pointInterval(key: Uint8Array): KeyInterval {
  return { start: key, end: keySuccessor(key) };
}

export function intervalContains(
  interval: KeyInterval,
  key: Uint8Array,
): boolean {
  return (
    compareKeys(interval.start, key) <= 0 &&
    (interval.end === null || compareKeys(key, interval.end) < 0)
  );
}

/**
 * An interval that grows while a scan is consumed; `empty` until the first key is consumed or the
 * scan is exhausted. Held by the read set, updated in place by the scan.
 */
export interface GrowingInterval {
  start: Uint8Array;
  end: Uint8Array | null;
  empty: boolean;
}

/** Sorted, merged intervals (used when an index has many intervals). */
function mergeIntervals(intervals: readonly KeyInterval[]): KeyInterval[] {
  const sorted = [...intervals].sort((a, b) => compareKeys(a.start, b.start));
  const merged: KeyInterval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (
      last !== undefined &&
      (last.end === null || compareKeys(next.start, last.end) <= 0)
    ) {
      const end =
        last.end === null || next.end === null
          ? null
          : compareKeys(last.end, next.end) >= 0
            ? last.end
            : next.end;
      merged[merged.length - 1] = { start: last.start, end };
    } else {
      merged.push(next);
    }
  }
  return merged;
}

/** Above this many intervals on one index, lookups merge and binary-search instead of scanning. */
const LINEAR_SEARCH_MAX_INTERVALS = 16;

/** An interval of {@link keyText} strings. */
interface TextInterval {
  readonly start: string;
  readonly end: string | null;
}

/** Whether `key` lies in `interval`. */
function textIntervalContains(interval: TextInterval, key: string): boolean {
  return interval.start <= key && (interval.end === null || key < interval.end);
}

/** Binary search in sorted, disjoint intervals. */
function sortedTextContains(
  sorted: readonly TextInterval[],
  key: string,
): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const interval = sorted[mid]!;
    if (key < interval.start) hi = mid - 1;
    else if (interval.end !== null && key >= interval.end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A read set frozen for OCC checks: text intervals per index id (see {@link ReadSet.probe}). */
export class ReadSetProbe {
  readonly #byIndex: ReadonlyMap<string, readonly TextInterval[]>;

  constructor(byIndex: ReadonlyMap<string, readonly TextInterval[]>) {
    this.#byIndex = byIndex;
  }

  /**
   * A write of `writes` inside the read set, or null when they are disjoint. Walks whichever
   * side has fewer indexes (a commit writes a few indexes, a transaction reads a few).
   */
  findOverlap(writes: IndexWrites): IndexKeyWrite | null {
    if (this.#byIndex.size < writes.size) {
      for (const [indexId, intervals] of this.#byIndex) {
        const keys = writes.get(indexId);
        if (keys === undefined) continue;
        const hit = firstInside(intervals, keys);
        if (hit !== null) return hit;
      }
      return null;
    }
    for (const [indexId, keys] of writes) {
      const intervals = this.#byIndex.get(indexId);
      if (intervals === undefined) continue;
      const hit = firstInside(intervals, keys);
      if (hit !== null) return hit;
    }
    return null;
  }
}

/** The first of `keys` inside `intervals` (sorted and merged when there are many). */
function firstInside(
  intervals: readonly TextInterval[],
  keys: readonly IndexKeyWrite[],
): IndexKeyWrite | null {
  if (intervals.length > LINEAR_SEARCH_MAX_INTERVALS) {
    return keys.find((w) => sortedTextContains(intervals, w.text)) ?? null;
  }
  for (const write of keys) {
    for (const interval of intervals) {
      if (textIntervalContains(interval, write.text)) return write;
    }
  }
  return null;
}

/**
 * The key intervals read, per index id. Intervals are recorded as they are read; growing
 * intervals (open scans) count with their current extent.
 */
export class ReadSet {
  readonly #byIndex = new Map<string, (KeyInterval | GrowingInterval)[]>();

  /** Records a fixed interval of `indexId`. */
  add(indexId: string, interval: KeyInterval): void {
    this.#list(indexId).push(interval);
  }

  /** Records an interval that the caller grows in place as its scan is consumed. */
  addGrowing(indexId: string, interval: GrowingInterval): void {
    this.#list(indexId).push(interval);
  }

  #list(indexId: string): (KeyInterval | GrowingInterval)[] {
    let list = this.#byIndex.get(indexId);
    if (list === undefined) {
      list = [];
      this.#byIndex.set(indexId, list);
    }
    return list;
  }

  /** Index ids with at least one interval. */
  indexIds(): IterableIterator<string> {
    return this.#byIndex.keys();
  }

  /** The non-empty intervals of `indexId`, as a snapshot. */
  intervals(indexId: string): KeyInterval[] {
    const list = this.#byIndex.get(indexId) ?? [];
    return list
      .filter((i) => !("empty" in i && i.empty))
      .map((i) => ({ start: i.start, end: i.end }));
  }

  /** Whether `key` of `indexId` lies in a read interval. */
  containsKey(indexId: string, key: Uint8Array): boolean {
    const write = indexKeyWrite(key, "", "");
    return this.findOverlap(new Map([[indexId, [write]]])) !== null;
  }

  /** A write of `writes` inside this read set, or null when they are disjoint. */
  findOverlap(writes: IndexWrites): IndexKeyWrite | null {
    return this.probe().findOverlap(writes);
  }

  /**
   * The intervals as they are now, prepared for checking against many commits (the committer
   * takes one per transaction once it has finished reading).
   */
  probe(): ReadSetProbe {
    const byIndex = new Map<string, TextInterval[]>();
    for (const indexId of this.#byIndex.keys()) {
      const intervals = this.intervals(indexId);
      if (intervals.length === 0) continue;
      const sorted = intervals.length > LINEAR_SEARCH_MAX_INTERVALS;
      byIndex.set(
        indexId,
        (sorted ? mergeIntervals(intervals) : intervals).map((i) => ({
          start: keyText(i.start),
          end: i.end === null ? null : keyText(i.end),
        })),
      );
    }
    return new ReadSetProbe(byIndex);
  }

  /** Whether any write of `writes` falls inside this read set. */
  overlaps(writes: IndexWrites): boolean {
    return this.findOverlap(writes) !== null;
  }
}
