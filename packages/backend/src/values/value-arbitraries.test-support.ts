/**
 * fast-check generators of Convex values for the property tests of this folder, plus a canonical
 * text form used to compare values from our code with values from the `convex` package.
 */
import fc from "fast-check";
import { CommitTsPlaceholder as PackagePlaceholder } from "convex/values";
import { CommitTsPlaceholder } from "./value.js";
import type { Value } from "./value.js";

export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;

/** int64 values, biased towards the extremes and small numbers. */
export const int64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: MIN_INT64, max: MAX_INT64 }),
  fc.constantFrom(
    MIN_INT64,
    MIN_INT64 + 1n,
    -1n,
    0n,
    1n,
    MAX_INT64 - 1n,
    MAX_INT64,
  ),
  fc.bigInt({ min: -300n, max: 300n }),
);

/** float64 values including NaN (both signs), ±Infinity, ±0 and subnormals. */
export const float64Arb: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.constantFrom(
    NaN,
    -NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
  ),
  fc.integer({ min: -5, max: 5 }),
);

/** Strings mixing ASCII, `\0`, BMP, astral characters and lone surrogates. */
export const stringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          "\0",
          "\0\0",
          "a",
          "b",
          "\u00ff",
          "\uffff",
          "\ue000",
          "\u{1f600}",
          "\u{10ffff}",
        ),
        fc
          .integer({ min: 0xd800, max: 0xdfff })
          .map((unit) => String.fromCharCode(unit)),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 5 },
    )
    .map((parts) => parts.join("")),
);

/** Bytes with plenty of 0x00 and 0xFF. */
export const bytesArb: fc.Arbitrary<ArrayBuffer> = fc
  .array(
    fc.oneof(
      fc.constantFrom(0x00, 0xff, 0x01, 0xfe),
      fc.integer({ min: 0, max: 255 }),
    ),
    {
      maxLength: 10,
    },
  )
  .map((bytes) => new Uint8Array(bytes).buffer);

/** Valid field names: printable ASCII, not starting with `$`, not `__proto__`. */
export const fieldNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "a", "b", "_id", "ab", "a b", "~"),
  fc
    .string({ unit: "binary-ascii", maxLength: 6 })
    .filter(
      (s) => /^[ -~]*$/.test(s) && !s.startsWith("$") && s !== "__proto__",
    ),
);

/** Convex values (without the commit-ts placeholder) with strings from `strings`. */
export function makeValueArb(
  strings: fc.Arbitrary<string>,
): fc.Arbitrary<Value> {
  return fc.letrec<{ value: Value }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      int64Arb,
      float64Arb,
      fc.boolean(),
      strings,
      bytesArb,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fieldNameArb, tie("value"), { maxKeys: 4 }),
    ),
  })).value;
}

/** Any Convex value (without the commit-ts placeholder), nested up to a small depth. */
export const valueArb: fc.Arbitrary<Value> = makeValueArb(stringArb);

/** Well-formed (no lone surrogates) strings of any Unicode characters. */
export const wellFormedStringArb: fc.Arbitrary<string> = stringArb.filter(
  (s) => !/\p{Cs}/u.test(s),
);

/**
 * A canonical text form of a value from either implementation: bigints, bytes, -0, NaN bits and
 * both placeholder classes are spelled out, object keys keep their order. (Not `JSON.stringify`
 * with a replacer: the package's placeholder has a throwing `toJSON`.)
 */
export function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `int64:${value}`;
  if (typeof value === "number") return numberText(value);
  if (value instanceof ArrayBuffer)
    return `bytes:${Buffer.from(value).toString("hex")}`;
  if (
    value instanceof CommitTsPlaceholder ||
    value instanceof PackagePlaceholder
  ) {
    return "commitTs";
  }
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++)
      parts.push(i in value ? canonical(value[i]) : "hole");
    return `[${parts.join(",")}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value).map(
      ([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`,
    );
    return `{${entries.join(",")}}`;
  }
  return `${typeof value}`;
}

function numberText(n: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  return `float64:${view.getBigUint64(0).toString(16)}`;
}
