import { describe, expect, test } from "vitest";
import { convexToJson } from "../values/json.js";
import { encodedToCleanJson } from "./clean-json.js";

describe("encodedToCleanJson", () => {
  test("plain JSON values come out unchanged", () => {
    const value = { a: 1, b: "x", c: [true, null, { d: 2.5 }] };
    expect(encodedToCleanJson(convexToJson(value))).toEqual(value);
  });

  test("int64 becomes a base-10 string, bytes base64, special floats strings", () => {
    const encoded = convexToJson({
      n: 12345678901234567n,
      bytes: new Uint8Array([1, 2, 255]).buffer,
      floats: [NaN, Infinity, -Infinity],
    });
    expect(encodedToCleanJson(encoded)).toEqual({
      n: "12345678901234567",
      bytes: "AQL/",
      floats: ["NaN", "Infinity", "-Infinity"],
    });
  });
});
