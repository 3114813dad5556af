/**
 * One index of `MemoryPersistence`: the revisions of every key, with the keys kept sorted.
 *
 * Keys are held as latin1 strings (one character per byte), whose JavaScript order is exactly
 * unsigned byte order and which serve directly as `Map` keys.
 */
import type { Order, Timestamp } from "../persistence.js";
import {
  compareStrings,
  compareTimestamps,
  lowerBound,
  upperBound,
} from "./sorted-array.js";

/** One revision of one index entry. `key` is the stored copy of the caller's bytes. */
export interface MemoryIndexVersion {
  readonly key: Uint8Array;
  readonly ts: Timestamp;
  readonly deleted: boolean;
  readonly tableId: string;
  readonly docId: string;
}

/** The latin1 string of a byte string (see the module comment). */
export function toKeyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString(
    "latin1",
  );
}

const byTs = (v: MemoryIndexVersion, ts: Timestamp) =>
  compareTimestamps(v.ts, ts);

export class MemoryIndex {
  /** Every key with at least one revision, sorted. */
  #keys: string[] = [];
  /** Revisions per key, oldest first. */
  readonly #versions = new Map<string, MemoryIndexVersion[]>();
  /** Bumped on every change, so suspended scans know to find their place again. */
  #generation = 0;

  has(key: string, ts: Timestamp): boolean {
    const versions = this.#versions.get(key);
    if (versions === undefined) return false;
    return versions[lowerBound(versions, ts, byTs)]?.ts === ts;
  }

  /** Stores `version`, replacing a stored revision of the same key and ts. */
  put(key: string, version: MemoryIndexVersion): void {
    this.#generation++;
    let versions = this.#versions.get(key);
    if (versions === undefined) {
      this.#versions.set(key, (versions = []));
      const last = this.#keys.at(-1);
      if (last === undefined || last < key) this.#keys.push(key);
      else
        this.#keys.splice(lowerBound(this.#keys, key, compareStrings), 0, key);
    }
    const i = lowerBound(versions, version.ts, byTs);
    versions.splice(i, versions[i]?.ts === version.ts ? 1 : 0, version);
  }

  /**
   * Yields, in key order, the newest revision at or before `readTs` of each key in
   * `[start, end)` that is not a tombstone. Survives changes between steps.
   */
  *scan(
    readTs: Timestamp,
    start: string,
    end: string | null,
    order: Order,
  ): Generator<MemoryIndexVersion> {
    const asc = order === "asc";
    const inRange = (k: string) => k >= start && (end === null || k < end);
    let generation = this.#generation;
    let i = asc
      ? lowerBound(this.#keys, start, compareStrings)
      : (end === null
          ? this.#keys.length
          : lowerBound(this.#keys, end, compareStrings)) - 1;
    for (;;) {
      const key = this.#keys[i];
      if (key === undefined || !inRange(key)) return;
      const versions = this.#versions.get(key)!;
      const visible = versions[upperBound(versions, readTs, byTs) - 1];
      if (visible !== undefined && !visible.deleted) {
        yield visible;
        if (generation !== this.#generation) {
          generation = this.#generation;
          i =
            (asc ? upperBound : lowerBound)(this.#keys, key, compareStrings) -
            (asc ? 1 : 0);
        }
      }
      i += asc ? 1 : -1;
    }
  }

  /** Deletes what no snapshot at or after `minSnapshotTs` sees; returns how many revisions. */
  prune(minSnapshotTs: Timestamp): number {
    let removed = 0;
    for (const [key, versions] of this.#versions) {
      const newest = upperBound(versions, minSnapshotTs, byTs) - 1;
      if (newest < 0) continue;
      const cut = versions[newest]!.deleted ? newest + 1 : newest;
      versions.splice(0, cut);
      removed += cut;
      if (versions.length === 0) this.#versions.delete(key);
    }
    if (removed > 0) {
      this.#generation++;
      this.#keys = this.#keys.filter((k) => this.#versions.has(k));
    }
    return removed;
  }
}
