import fc from "fast-check";
import { compareValues as officialCompare } from "convex/values";
import type { Value as OfficialValue } from "convex/values";
import { describe, expect, test } from "vitest";
import { compareKeys, encodeIndexKey, prefixSuccessor } from "./index-key.js";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import type { Value } from "./value.js";
import {
  MAX_INT64,
  MIN_INT64,
  valueArb,
} from "./value-arbitraries.test-support.js";

const RUNS = { numRuns: 400 };
const sign = (n: number) => Math.sign(n) + 0;

type Tuple = (Value | undefined)[];

const elementArb = fc.option(valueArb, { nil: undefined, freq: 6 });
const tupleArb: fc.Arbitrary<Tuple> = fc.array(elementArb, { maxLength: 3 });

/** The tuple order from the package's comparison: element by element, a prefix first. */
function compareTuples(a: Tuple, b: Tuple): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = sign(
      officialCompare(a[i] as OfficialValue, b[i] as OfficialValue),
    );
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

function keyOrder(a: Tuple, b: Tuple): number {
  return compareKeys(encodeIndexKey(a), encodeIndexKey(b));
}

function isPrefix(prefix: Uint8Array, of: Uint8Array): boolean {
  return (
    prefix.length <= of.length &&
    compareKeys(prefix, of.subarray(0, prefix.length)) === 0
  );
}

/** Tuples that tie on a prefix with the first one, so later elements decide. */
const relatedPairArb: fc.Arbitrary<[Tuple, Tuple]> = tupleArb.chain((a) =>
  fc.tuple(
    fc.constant(a),
    fc.oneof(
      fc.constant(a),
      tupleArb.map((more) => [...a, ...more]),
      tupleArb.map((more) => [...a.slice(0, -1), ...more]),
      valueArb.map((v) => [
        ...a.slice(0, -1),
        Array.isArray(a.at(-1)) ? [...(a.at(-1) as Value[]), v] : v,
      ]),
    ),
  ),
);

describe("encodeIndexKey", () => {
  test("byte order of keys equals the tuple order for any pair", () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, (a, b) => {
        expect(keyOrder(a, b)).toBe(compareTuples(a, b));
      }),
      RUNS,
    );
  });

  test("byte order of keys equals the tuple order for tuples sharing a prefix", () => {
    fc.assert(
      fc.property(relatedPairArb, ([a, b]) => {
        expect(keyOrder(a, b)).toBe(compareTuples(a, b));
        expect(keyOrder(b, a)).toBe(compareTuples(b, a));
      }),
      RUNS,
    );
  });

  test("the key of a tuple is a byte prefix of the key of any extension", () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, (t, more) => {
        expect(
          isPrefix(encodeIndexKey(t), encodeIndexKey([...t, ...more])),
        ).toBe(true);
      }),
      RUNS,
    );
  });

  test("a key starts with the key of a tuple exactly when its tuple extends that tuple", () => {
    fc.assert(
      fc.property(relatedPairArb, ([t, other]) => {
        const extendsT =
          other.length >= t.length &&
          compareTuples(other.slice(0, t.length), t) === 0;
        expect(isPrefix(encodeIndexKey(t), encodeIndexKey(other))).toBe(
          extendsT,
        );
      }),
      RUNS,
    );
  });

  test("a prefix scan for a string does not reach strings that extend it with NUL", () => {
    const start = encodeIndexKey(["a"]);
    const end = prefixSuccessor(start)!;
    for (const inside of [["a"], ["a", null], ["a", "\0"]] as Tuple[]) {
      const key = encodeIndexKey(inside);
      expect(compareKeys(start, key) <= 0 && compareKeys(key, end) < 0).toBe(
        true,
      );
    }
    for (const outside of [["a\0"], ["a\0\0"], ["a\u0001"], ["b"]] as Tuple[]) {
      expect(compareKeys(encodeIndexKey(outside), end)).toBe(1);
    }
  });

  test("orders hand-picked edge cases like Convex", () => {
    const ordered: Tuple[] = [
      [],
      [undefined],
      [null],
      [MIN_INT64],
      [-1n],
      [0n],
      [MAX_INT64],
      [-NaN],
      [-Infinity],
      [-0],
      [0],
      [Infinity],
      [NaN],
      [false],
      [true],
      [""],
      ["\0"],
      ["\0\0"],
      ["\0\u0001"],
      ["a"],
      ["a\0"],
      ["a\0", null],
      ["a\u0001"],
      ["\uffff"],
      ["\u{10000}"],
      ["\u{10ffff}"],
      [new Uint8Array([]).buffer],
      [new Uint8Array([0]).buffer],
      [new Uint8Array([0, 0]).buffer],
      [new Uint8Array([0, 0xff]).buffer],
      [new Uint8Array([1]).buffer],
      [new Uint8Array([0xff]).buffer],
      [new Uint8Array([0xff, 0xff]).buffer],
      [[]],
      [[null]],
      [[null, null]],
      [[0n]],
      [[[]]],
      [{}],
      [{ "": null }],
      [{ "": 1n }],
      [{ a: null }],
      [{ a: null, b: null }],
      [{ b: null }],
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareTuples(ordered[i]!, ordered[i + 1]!)).toBe(-1);
      expect(keyOrder(ordered[i]!, ordered[i + 1]!)).toBe(-1);
    }
  });

  test("encodes the commit-ts placeholder as the largest int64", () => {
    expect(encodeIndexKey([COMMIT_TS_PLACEHOLDER])).toEqual(
      encodeIndexKey([MAX_INT64]),
    );
  });

  test("leaves undefined object fields out", () => {
    expect(encodeIndexKey([{ a: 1, b: undefined }])).toEqual(
      encodeIndexKey([{ a: 1 }]),
    );
  });

  test("grows past its initial buffer for large values", () => {
    const big = "x".repeat(100_000);
    const key = encodeIndexKey([big, big]);
    expect(key.length).toBe(2 * (100_000 + 3));
    expect(keyOrder([big, big], [big, `${big}y`])).toBe(-1);
  });

  test("refuses int64 values out of range", () => {
    expect(() => encodeIndexKey([MAX_INT64 + 1n])).toThrow(
      "int64 out of range",
    );
  });
});

const keyBytesArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x7f, 0xfe, 0xff), { maxLength: 5 })
  .map((bytes) => new Uint8Array(bytes));

describe("prefixSuccessor", () => {
  test("is greater than every key that starts with the prefix and not greater than any other bound", () => {
    fc.assert(
      fc.property(keyBytesArb, keyBytesArb, (prefix, other) => {
        const successor = prefixSuccessor(prefix);
        if (successor === null) {
          expect(prefix.every((b) => b === 0xff)).toBe(true);
          return;
        }
        expect(compareKeys(prefix, successor)).toBe(-1);
        const extended = new Uint8Array([...prefix, ...other]);
        expect(compareKeys(extended, successor)).toBe(-1);
        // Smallest: anything above the prefix that does not start with it is at or above it.
        if (!isPrefix(prefix, other) && compareKeys(other, prefix) > 0) {
          expect(compareKeys(other, successor)).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS,
    );
  });

  test("drops trailing 0xFF bytes and increments the last byte", () => {
    expect(prefixSuccessor(new Uint8Array([1, 2]))).toEqual(
      new Uint8Array([1, 3]),
    );
    expect(prefixSuccessor(new Uint8Array([1, 0xff, 0xff]))).toEqual(
      new Uint8Array([2]),
    );
    expect(prefixSuccessor(new Uint8Array([0xff]))).toBeNull();
    expect(prefixSuccessor(new Uint8Array([]))).toBeNull();
  });

  test("bounds an index prefix scan over encoded tuples", () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, tupleArb, (prefix, more, other) => {
        const start = encodeIndexKey(prefix);
        const end = prefixSuccessor(start);
        const inside = encodeIndexKey([...prefix, ...more]);
        expect(compareKeys(start, inside)).toBeLessThanOrEqual(0);
        if (end !== null) expect(compareKeys(inside, end)).toBe(-1);
        const candidate = encodeIndexKey(other);
        const within =
          compareKeys(start, candidate) <= 0 &&
          (end === null || compareKeys(candidate, end) < 0);
        expect(within).toBe(isPrefix(start, candidate));
      }),
      RUNS,
    );
  });
});
