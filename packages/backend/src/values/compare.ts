/**
 * The total order of Convex values, used for index ordering, range bounds and filter comparisons
 * (convex-backend `crates/value/src/sorting.rs`; the package's `compareValues` implements the
 * same order and is the oracle in `compare.test.ts`).
 *
 * missing (`undefined`) < null < int64 < float64 < boolean < string < bytes < array < object.
 * Within a type: int64 numerically (the commit-ts placeholder as the largest int64); float64 in
 * IEEE 754 total order (-NaN < -Inf < … < -0 < +0 < … < +Inf < +NaN); false < true; strings by
 * their UTF-8 bytes; bytes, arrays and objects lexicographically, a prefix first. An object is
 * compared as its list of (key, value) pairs sorted by key, `undefined` fields left out.
 */
import { CommitTsPlaceholder } from "./value.js";
import type { Value } from "./value.js";

const MAX_INT64 = 2n ** 63n - 1n;

/** Type ranks in sort order. */
const RANK_MISSING = 0;
const RANK_NULL = 1;
const RANK_INT64 = 2;
const RANK_FLOAT64 = 3;
const RANK_BOOLEAN = 4;
const RANK_STRING = 5;
const RANK_BYTES = 6;
const RANK_ARRAY = 7;
const RANK_OBJECT = 8;

function rank(value: Value | undefined): number {
  switch (typeof value) {
    case "undefined":
      return RANK_MISSING;
    case "bigint":
      return RANK_INT64;
    case "number":
      return RANK_FLOAT64;
    case "boolean":
      return RANK_BOOLEAN;
    case "string":
      return RANK_STRING;
    default:
      if (value === null) return RANK_NULL;
      if (value instanceof ArrayBuffer) return RANK_BYTES;
      if (Array.isArray(value)) return RANK_ARRAY;
      if (value instanceof CommitTsPlaceholder) return RANK_INT64;
      return RANK_OBJECT;
  }
}

/**
 * Compares two values (either may be `undefined`, meaning missing) in Convex's total order.
 * Returns -1, 0 or 1. Equal means identical as Convex values (so -0 ≠ +0, and NaN = NaN with the
 * same bits).
 */
export function compareValues(
  a: Value | undefined,
  b: Value | undefined,
): number {
  const rankA = rank(a);
  const rankB = rank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  switch (rankA) {
    case RANK_MISSING:
    case RANK_NULL:
      return 0;
    case RANK_INT64:
      return compareInt64(asInt64(a), asInt64(b));
    case RANK_FLOAT64:
      return compareFloat64(a as number, b as number);
    case RANK_BOOLEAN:
      return a === b ? 0 : a ? 1 : -1;
    case RANK_STRING:
      return compareStrings(a as string, b as string);
    case RANK_BYTES:
      return compareBytes(
        new Uint8Array(a as ArrayBuffer),
        new Uint8Array(b as ArrayBuffer),
      );
    case RANK_ARRAY:
      return compareArrays(a as Value[], b as Value[]);
    default:
      return compareObjects(
        a as Record<string, Value | undefined>,
        b as Record<string, Value>,
      );
  }
}

function asInt64(value: Value | undefined): bigint {
  return typeof value === "bigint" ? value : MAX_INT64;
}

function compareInt64(a: bigint, b: bigint): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

const floatScratch = new Float64Array(2);
const bitsScratch = new BigInt64Array(floatScratch.buffer);

/** IEEE 754 total order, Rust's `f64::total_cmp`. */
export function compareFloat64(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b && a !== 0) return 0;
  // Left: zeros of either sign, and NaNs. Order by the sign-magnitude bit pattern.
  floatScratch[0] = a;
  floatScratch[1] = b;
  let bitsA = bitsScratch[0]!;
  let bitsB = bitsScratch[1]!;
  // Negative values order by descending magnitude: flip all bits but the sign.
  if (bitsA < 0n) bitsA ^= MAX_INT64;
  if (bitsB < 0n) bitsB ^= MAX_INT64;
  return bitsA === bitsB ? 0 : bitsA < bitsB ? -1 : 1;
}

/**
 * Compares strings by their UTF-8 encoding (lone surrogates as their own code points, so the order
 * is that of WTF-8 bytes, which is also code point order).
 */
export function compareStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === length)
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  const unitA = a.charCodeAt(i);
  const unitB = b.charCodeAt(i);
  // Below the surrogate range, UTF-16 code units order like code points.
  if (unitA < 0xd800 && unitB < 0xd800) return unitA < unitB ? -1 : 1;
  if (i > 0 && isHighSurrogate(a.charCodeAt(i - 1))) {
    // Both strings share a high surrogate at i - 1. A low surrogate here completes an astral
    // character (4 UTF-8 bytes from F0), which sorts after a lone high surrogate (from ED).
    const lowA = isLowSurrogate(unitA);
    const lowB = isLowSurrogate(unitB);
    if (lowA !== lowB) return lowA ? 1 : -1;
    if (lowA) return unitA < unitB ? -1 : 1;
  }
  const pointA = a.codePointAt(i)!;
  const pointB = b.codePointAt(i)!;
  return pointA === pointB ? 0 : pointA < pointB ? -1 : 1;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Lexicographic byte order, a prefix first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function compareArrays(a: Value[], b: Value[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The keys of an object's present (non-`undefined`) fields, sorted. */
export function presentKeys(
  object: Record<string, Value | undefined>,
): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(object))
    if (object[key] !== undefined) keys.push(key);
  return keys.sort();
}

function compareObjects(
  a: Record<string, Value | undefined>,
  b: Record<string, Value | undefined>,
): number {
  const keysA = presentKeys(a);
  const keysB = presentKeys(b);
  const length = Math.min(keysA.length, keysB.length);
  for (let i = 0; i < length; i++) {
    const keyA = keysA[i]!;
    const keyB = keysB[i]!;
    if (keyA !== keyB) return compareStrings(keyA, keyB);
    const c = compareValues(a[keyA], b[keyB]);
    if (c !== 0) return c;
  }
  return keysA.length === keysB.length
    ? 0
    : keysA.length < keysB.length
      ? -1
      : 1;
}
