import fc from "fast-check";
import { Base64 } from "convex/values";
import { describe, expect, test } from "vitest";
import { decodeBase64, encodeBase64 } from "./base64.js";

type Outcome = { ok: string } | { error: string };

function outcome(fn: () => Uint8Array): Outcome {
  try {
    return { ok: Buffer.from(fn()).toString("hex") };
  } catch (e) {
    return {
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    };
  }
}

describe("encodeBase64", () => {
  test("is standard padded base64 for any length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      }),
      { numRuns: 300 },
    );
  });

  test("encodes a view, not its whole buffer", () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3);
    expect(encodeBase64(bytes)).toBe(Buffer.from([2, 3]).toString("base64"));
  });
});

describe("decodeBase64", () => {
  test("decodes exactly as the package's decoder, malformed input included", () => {
    const textArb = fc.oneof(
      fc.string({
        unit: fc.constantFrom(..."AQZaqz09+/-_=@ ".split("")),
        maxLength: 16,
      }),
      fc
        .uint8Array({ maxLength: 20 })
        .map((bytes) => Buffer.from(bytes).toString("base64")),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        expect(outcome(() => decodeBase64(text))).toEqual(
          outcome(() => Base64.toByteArray(text)),
        );
      }),
      { numRuns: 500 },
    );
  });
});
