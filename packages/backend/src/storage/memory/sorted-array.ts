/**
 * Binary search over sorted arrays, the building block of the in-memory indexes.
 */

/** The first position whose element is not below `target` (`arr.length` when there is none). */
export function lowerBound<T, K>(
  arr: readonly T[],
  target: K,
  compare: (a: T, b: K) => number,
): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(arr[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first position whose element is above `target` (`arr.length` when there is none). */
export function upperBound<T, K>(
  arr: readonly T[],
  target: K,
  compare: (a: T, b: K) => number,
): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(arr[mid]!, target) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Three-way comparison of strings by UTF-16 code units (byte order for latin1-encoded keys). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Three-way comparison of timestamps. */
export function compareTimestamps(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
