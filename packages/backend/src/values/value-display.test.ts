import { describe, expect, test } from "vitest";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import {
  debugString,
  displayFloat,
  displayValue,
  JSON_MIN_DECIMAL,
} from "./value-display.js";

describe("displayValue", () => {
  test("prints values as convex-backend's Display does", () => {
    expect(displayValue(null)).toBe("null");
    expect(displayValue(5n)).toBe("5");
    expect(displayValue(5)).toBe("5.0");
    expect(displayValue(true)).toBe("true");
    expect(displayValue("user_demo_001")).toBe('"user_demo_001"');
    expect(displayValue(new Uint8Array([0, 1]).buffer)).toBe('b"AAE="');
    expect(displayValue([1n, "a"])).toBe('[1, "a"]');
    expect(displayValue({ b: 1n, a: [], c: undefined })).toBe("{a: [], b: 1}");
    expect(displayValue(COMMIT_TS_PLACEHOLDER)).toBe(
      "[unresolved commit timestamp]",
    );
    expect(displayValue(undefined)).toBe("undefined");
  });
});

describe("displayFloat", () => {
  test("follows Rust's {:?} for f64", () => {
    expect(displayFloat(0)).toBe("0.0");
    expect(displayFloat(-0)).toBe("-0.0");
    expect(displayFloat(1.5)).toBe("1.5");
    expect(displayFloat(-2)).toBe("-2.0");
    expect(displayFloat(1e15)).toBe("1000000000000000.0");
    expect(displayFloat(1e16)).toBe("1e16");
    expect(displayFloat(1.5e300)).toBe("1.5e300");
    expect(displayFloat(0.0001)).toBe("0.0001");
    expect(displayFloat(0.00001)).toBe("1e-5");
    expect(displayFloat(NaN)).toBe("NaN");
    expect(displayFloat(Infinity)).toBe("inf");
    expect(displayFloat(-Infinity)).toBe("-inf");
  });

  test("follows serde_json for JSON numbers", () => {
    expect(displayFloat(0.00001, JSON_MIN_DECIMAL)).toBe("0.00001");
    expect(displayFloat(0.000001, JSON_MIN_DECIMAL)).toBe("1e-6");
  });
});

describe("debugString", () => {
  test("escapes like Rust's {:?} for str", () => {
    expect(debugString('a"b\\c\n\r\t\0')).toBe('"a\\"b\\\\c\\n\\r\\t\\0"');
    expect(debugString("\u0001\u007f")).toBe('"\\u{1}\\u{7f}"');
    expect(debugString("é\u{1f600}'")).toBe('"é\u{1f600}\'"');
  });
});
