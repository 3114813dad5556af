import fc from "fast-check";
import { compareValues as officialCompare } from "convex/values";
import type { Value as OfficialValue } from "convex/values";
import { describe, expect, test } from "vitest";
import { compareFloat64, compareStrings, compareValues } from "./compare.js";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import type { Value } from "./value.js";
import {
  float64Arb,
  MAX_INT64,
  stringArb,
  valueArb,
} from "./value-arbitraries.test-support.js";

const RUNS = { numRuns: 400 };
const sign = (n: number) => Math.sign(n) + 0;
const maybeMissing = fc.option(valueArb, { nil: undefined, freq: 8 });

describe("compareValues", () => {
  test("agrees with the package's compareValues on any pair", () => {
    fc.assert(
      fc.property(maybeMissing, maybeMissing, (a, b) => {
        expect(compareValues(a, b)).toBe(
          sign(officialCompare(a as OfficialValue, b as OfficialValue)),
        );
      }),
      RUNS,
    );
  });

  test("agrees with the package on pairs that share structure", () => {
    // Independent random values rarely tie on a prefix; derive the second from the first.
    const pairArb = valueArb.chain((a) =>
      fc.tuple(
        fc.constant(a),
        fc.oneof(
          fc.constant<Value>(a),
          fc.constant<Value>([a]),
          fc.constant<Value>([a, null]),
          fc.constant<Value>({ k: a }),
          valueArb.map((b): Value => (Array.isArray(a) ? [...a, b] : [a, b])),
        ),
      ),
    );
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(compareValues(a, b)).toBe(
          sign(officialCompare(a as OfficialValue, b as OfficialValue)),
        );
        expect(compareValues(a, a)).toBe(0);
      }),
      RUNS,
    );
  });

  test("orders the types: missing < null < int64 < float64 < boolean < string < bytes < array < object", () => {
    const ordered: (Value | undefined)[] = [
      undefined,
      null,
      -(2n ** 63n),
      MAX_INT64,
      -Infinity,
      NaN,
      false,
      true,
      "",
      new ArrayBuffer(0),
      [],
      {},
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareValues(ordered[i], ordered[i + 1])).toBe(-1);
      expect(compareValues(ordered[i + 1], ordered[i])).toBe(1);
    }
  });

  test("sorts the commit-ts placeholder as the largest int64", () => {
    expect(compareValues(COMMIT_TS_PLACEHOLDER, MAX_INT64)).toBe(0);
    expect(compareValues(COMMIT_TS_PLACEHOLDER, 0n)).toBe(1);
    expect(compareValues(COMMIT_TS_PLACEHOLDER, -Infinity)).toBe(-1);
  });

  test("ignores undefined object fields", () => {
    expect(compareValues({ a: 1, b: undefined }, { a: 1 })).toBe(0);
  });
});

describe("compareFloat64", () => {
  test("is IEEE 754 total order", () => {
    const ordered = [
      -NaN,
      -Infinity,
      -1e308,
      -1,
      -Number.MIN_VALUE,
      -0,
      0,
      Number.MIN_VALUE,
      1,
      Infinity,
      NaN,
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(compareFloat64(ordered[i]!, ordered[j]!)).toBe(sign(i - j));
      }
    }
  });

  test("agrees with the package on any pair of floats", () => {
    fc.assert(
      fc.property(float64Arb, float64Arb, (a, b) => {
        expect(compareFloat64(a, b)).toBe(sign(officialCompare(a, b)));
      }),
      RUNS,
    );
  });
});

describe("compareStrings", () => {
  test("orders by UTF-8 bytes, not UTF-16 code units", () => {
    expect(compareStrings("\uffff", "\u{10000}")).toBe(-1);
    expect(compareStrings("\ue000", "\u{1f600}")).toBe(-1);
    expect(compareStrings("a", "a\0")).toBe(-1);
    expect(compareStrings("", "")).toBe(0);
  });

  test("matches a comparison of the encoded bytes, lone surrogates included", () => {
    fc.assert(
      fc.property(stringArb, stringArb, (a, b) => {
        expect(compareStrings(a, b)).toBe(sign(officialCompare(a, b)));
      }),
      RUNS,
    );
  });
});
