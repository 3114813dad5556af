import fc from "fast-check";
import * as official from "convex/values";
import { describe, expect, test } from "vitest";
import {
  convexToJson,
  isSimpleObject,
  jsonToConvex,
  jsonToConvexOrUndefined,
} from "./json.js";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import type { JsonValue, Value } from "./value.js";
import {
  canonical,
  fieldNameArb,
  MAX_INT64,
  MIN_INT64,
  valueArb,
} from "./value-arbitraries.test-support.js";

const RUNS = { numRuns: 300 };

type Outcome = { ok: string } | { error: string };

/** Runs `fn`, capturing its result in canonical form or its error message. */
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: canonical(fn()) };
  } catch (e) {
    return {
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    };
  }
}

/** Inputs that both encoders must reject (or accept) identically. */
const badValueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      valueArb,
      fc.constantFrom(
        undefined,
        MAX_INT64 + 1n,
        MIN_INT64 - 1n,
        new Set([1, 2]),
        new Map([["a", 1]]),
        new Date(0),
        () => 1,
        Symbol("s"),
        new (class Custom {})(),
        new Uint8Array([1]),
        Object.create(null) as unknown,
      ),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(
        fc.oneof(
          fieldNameArb,
          fc.constantFrom(
            "$a",
            "$bytes",
            "a\u0001",
            "\u00e9",
            "x".repeat(1025),
            "\u007f",
          ),
        ),
        tie("value"),
        { maxKeys: 3 },
      ),
    ),
  }),
).value;

/** JSON inputs, valid and malformed, that both decoders must treat identically. */
const badJsonArb: fc.Arbitrary<unknown> = fc.letrec<{ json: unknown }>(
  (tie) => ({
    json: fc.oneof(
      { depthSize: "small" },
      valueArb.map((value) => official.convexToJson(value as official.Value)),
      fc
        .record({
          key: fc.constantFrom(
            "$bytes",
            "$integer",
            "$float",
            "$commitTs",
            "$set",
            "$map",
            "$other",
          ),
          payload: fc.oneof(
            fc.constantFrom(
              null,
              1,
              true,
              "",
              "AAAA",
              "AAAAAAAAAAA=",
              "AAAAAAAAAAAA",
              "AAAAAAAAAAA",
            ),
            fc.constantFrom(
              "AAAAAAAA8D8=",
              "AAAAAAAAAAA=",
              "AAAAAAAAAIA=",
              "A===",
              "AB==",
              "ABC=",
              "@@@@",
            ),
            fc.string({
              unit: fc.constantFrom(..."AZaz09+/-_=".split("")),
              maxLength: 16,
            }),
            fc.string({ maxLength: 12 }),
          ),
        })
        .map(({ key, payload }) => ({ [key]: payload })),
      fc.constantFrom(undefined, 1n, () => 1),
      fc.array(tie("json"), { maxLength: 3 }),
      fc.dictionary(
        fc.oneof(fieldNameArb, fc.constantFrom("$a", "a\u0000", "\u00e9")),
        tie("json"),
        { maxKeys: 3 },
      ),
    ),
  }),
).json;

describe("convexToJson", () => {
  test("produces exactly the package's JSON for any value", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const ours = convexToJson(value);
        const theirs = official.convexToJson(value as official.Value);
        expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
        expect(canonical(ours)).toBe(canonical(theirs));
      }),
      RUNS,
    );
  });

  test("encodes the special floats and int64 extremes as the package does", () => {
    const samples: Value[] = [
      NaN,
      -NaN,
      Infinity,
      -Infinity,
      -0,
      0,
      MIN_INT64,
      MAX_INT64,
      1n,
      -1n,
    ];
    for (const value of samples) {
      expect(convexToJson(value)).toEqual(
        official.convexToJson(value as official.Value),
      );
    }
    expect(convexToJson(-0)).toEqual({ $float: "AAAAAAAAAIA=" });
    expect(convexToJson(-1n)).toEqual({ $integer: "//////////8=" });
  });

  test("throws the package's errors for the same bad inputs", () => {
    fc.assert(
      fc.property(badValueArb, (value) => {
        expect(outcome(() => convexToJson(value as Value))).toEqual(
          outcome(() => official.convexToJson(value as official.Value)),
        );
      }),
      RUNS,
    );
  });

  test("names the path of an undefined array element", () => {
    expect(() =>
      convexToJson({ a: [1, undefined as unknown as Value] }),
    ).toThrow(
      "undefined is not a valid Convex value (present at path .a[1] in original object " +
        '{"a":[1,"undefined"]}). To learn about',
    );
  });

  test("encodes the commit-ts placeholder as $commitTs", () => {
    expect(convexToJson({ ts: COMMIT_TS_PLACEHOLDER })).toEqual({
      ts: { $commitTs: null },
    });
  });

  test("sorts keys and drops undefined fields", () => {
    expect(JSON.stringify(convexToJson({ b: 1, a: undefined, c: null }))).toBe(
      '{"b":1,"c":null}',
    );
  });
});

describe("jsonToConvex", () => {
  test("inverts convexToJson for any value", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const json = official.convexToJson(value as official.Value);
        expect(canonical(jsonToConvex(json))).toBe(
          canonical(official.jsonToConvex(json)),
        );
      }),
      RUNS,
    );
  });

  test("throws the package's errors for the same bad inputs", () => {
    fc.assert(
      fc.property(badJsonArb, (json) => {
        expect(outcome(() => jsonToConvex(json as JsonValue))).toEqual(
          outcome(() => official.jsonToConvex(json as official.JSONValue)),
        );
      }),
      RUNS,
    );
  });

  test("rejects $float for ordinary numbers, including +0", () => {
    expect(() => jsonToConvex({ $float: "AAAAAAAAAAA=" })).toThrow(
      "Float 0 should be encoded as a number",
    );
  });

  test("decodes $commitTs to the placeholder", () => {
    expect(jsonToConvex({ a: { $commitTs: null } })).toEqual({
      a: COMMIT_TS_PLACEHOLDER,
    });
    expect(
      (jsonToConvex({ $commitTs: null }) as unknown) === COMMIT_TS_PLACEHOLDER,
    ).toBe(true);
  });
});

describe("jsonToConvexOrUndefined", () => {
  test("returns undefined for the $undefined form", () => {
    expect(jsonToConvexOrUndefined({ $undefined: null })).toBeUndefined();
  });

  test("decodes everything else like jsonToConvex", () => {
    expect(jsonToConvexOrUndefined({ $integer: "AQAAAAAAAAA=" })).toBe(1n);
    expect(() => jsonToConvexOrUndefined({ $undefined: 1 })).toThrow(
      "starts with a '$'",
    );
    expect(() => jsonToConvexOrUndefined({ a: { $undefined: null } })).toThrow(
      "starts with a '$'",
    );
  });
});

describe("isSimpleObject", () => {
  test("accepts plain and null-prototype objects only", () => {
    expect(isSimpleObject({})).toBe(true);
    expect(isSimpleObject(Object.create(null))).toBe(true);
    expect(isSimpleObject([])).toBe(false);
    expect(isSimpleObject(new Date())).toBe(false);
    expect(isSimpleObject(null)).toBe(false);
    expect(isSimpleObject("x")).toBe(false);
  });
});
