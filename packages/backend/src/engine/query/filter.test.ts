import { describe, expect, test } from "vitest";
import { BackendError } from "../../errors/backend-error.js";
import { convexToJson } from "../../values/json.js";
import type { Value } from "../../values/value.js";
import {
  evaluateExpression,
  evaluateFilter,
  parseExpression,
} from "./filter.js";

const doc = {
  _id: "id1",
  _creationTime: 1,
  email: "bw@convex.dev",
  salary: 5n,
  score: 2.5,
  nested: { a: { b: true } },
  list: [1, 2],
  nothing: null,
};

const field = (path: string) => ({ $field: path });
const lit = (value: Value | undefined) => ({
  $literal: value === undefined ? { $undefined: null } : convexToJson(value),
});

function evaluate(json: unknown): Value | undefined {
  return evaluateExpression(parseExpression(json), doc);
}

function evalErrorOf(json: unknown): BackendError {
  try {
    evaluate(json);
  } catch (e) {
    if (e instanceof BackendError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("parseExpression", () => {
  test("parses every node kind the package emits", () => {
    const json = {
      $and: [
        { $eq: [field("a.b"), lit(1n)] },
        { $or: [{ $not: lit(true) }, { $lt: [{ $neg: field("x") }, lit(2)] }] },
        {
          $gte: [
            { $mod: [{ $add: [lit(1n), lit(2n)] }, lit(2n)] },
            lit(undefined),
          ],
        },
      ],
    };
    const parsed = parseExpression(json);
    expect(parsed.type).toBe("and");
  });

  test("rejects unknown operators, bad arities and multi-key nodes with InvalidQuery", () => {
    for (const bad of [
      { $xor: [lit(1), lit(2)] },
      { $eq: [lit(1)] },
      { $eq: lit(1) },
      { $and: lit(true) },
      { $field: 3 },
      { $eq: [lit(1), lit(2)], $neq: [lit(1), lit(2)] },
      "text",
      null,
    ]) {
      expect(() => parseExpression(bad)).toThrow(
        expect.objectContaining({
          code: "BadRequest",
          shortMsg: "InvalidQuery",
        }),
      );
    }
  });

  test("rejects malformed literals and field paths", () => {
    expect(() => parseExpression({ $literal: { $integer: "xx" } })).toThrow(
      BackendError,
    );
    expect(() => parseExpression({ $field: "a..b" })).toThrow(
      expect.objectContaining({ shortMsg: "InvalidFieldPath" }),
    );
  });

  test("refuses absurdly deep expressions instead of overflowing the stack", () => {
    let json: unknown = lit(true);
    for (let i = 0; i < 500; i++) json = { $not: json };
    expect(() => parseExpression(json)).toThrow(
      expect.objectContaining({ shortMsg: "InvalidQuery" }),
    );
  });
});

describe("evaluateExpression", () => {
  test("reads fields by dotted path and missing fields as undefined", () => {
    expect(evaluate(field("email"))).toBe("bw@convex.dev");
    expect(evaluate(field("nested.a.b"))).toBe(true);
    expect(evaluate(field("level"))).toBeUndefined();
    expect(evaluate(field("email.length"))).toBeUndefined();
    expect(evaluate(field("list.length"))).toBeUndefined();
  });

  test("compares by the total order without coercion", () => {
    expect(evaluate({ $eq: [field("salary"), lit(5n)] })).toBe(true);
    expect(evaluate({ $eq: [field("salary"), lit(5)] })).toBe(false);
    expect(evaluate({ $lt: [field("salary"), lit(0)] })).toBe(true); // int64 < float64
    expect(evaluate({ $eq: [field("level"), lit(undefined)] })).toBe(true);
    expect(evaluate({ $eq: [field("level"), lit(null)] })).toBe(false);
    expect(evaluate({ $lt: [field("level"), lit(null)] })).toBe(true);
    expect(evaluate({ $neq: [field("level"), lit(2)] })).toBe(true);
    expect(evaluate({ $gt: [lit("b"), lit("a")] })).toBe(true);
    expect(evaluate({ $gte: [lit([1, 2]), lit([1])] })).toBe(true);
    expect(evaluate({ $lte: [lit(false), lit(true)] })).toBe(true);
  });

  test("computes Convex's reference arithmetic example", () => {
    // -(3 * 5 + (5 - 11 % 3)) / 3 = -6
    const json = {
      $div: [
        {
          $neg: {
            $add: [
              { $mul: [lit(3n), lit(5n)] },
              { $sub: [lit(5n), { $mod: [lit(11n), lit(3n)] }] },
            ],
          },
        },
        lit(3n),
      ],
    };
    expect(evaluate(json)).toBe(-6n);
  });

  test("truncates int64 division and remainder toward zero", () => {
    expect(evaluate({ $div: [lit(-7n), lit(2n)] })).toBe(-3n);
    expect(evaluate({ $mod: [lit(-7n), lit(2n)] })).toBe(-1n);
    expect(evaluate({ $mod: [lit(7n), lit(-2n)] })).toBe(1n);
  });

  test("follows IEEE for float64, with a truncated remainder", () => {
    expect(evaluate({ $div: [lit(1), lit(0)] })).toBe(Infinity);
    expect(evaluate({ $div: [lit(0), lit(0)] })).toBeNaN();
    expect(evaluate({ $mod: [lit(-7.5), lit(2)] })).toBe(-1.5);
    expect(evaluate({ $add: [field("score"), lit(0.5)] })).toBe(3);
    expect(Object.is(evaluate({ $neg: lit(0) }), -0)).toBe(true);
  });

  test("rejects int64 overflow and division by zero", () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    expect(evalErrorOf({ $add: [lit(max), lit(1n)] }).message).toBe(
      "Cannot add 9223372036854775807 (type Int64) and 1 (type Int64): integer overflow",
    );
    expect(evalErrorOf({ $mul: [lit(min), lit(-1n)] }).shortMsg).toBe(
      "EvalError",
    );
    expect(evalErrorOf({ $sub: [lit(min), lit(1n)] }).shortMsg).toBe(
      "EvalError",
    );
    expect(evalErrorOf({ $div: [lit(min), lit(-1n)] }).shortMsg).toBe(
      "EvalError",
    );
    expect(evalErrorOf({ $mod: [lit(min), lit(-1n)] }).shortMsg).toBe(
      "EvalError",
    );
    expect(evalErrorOf({ $neg: lit(min) }).message).toBe(
      "Cannot negate -9223372036854775808 (type Int64): integer overflow",
    );
    expect(evalErrorOf({ $div: [lit(1n), lit(0n)] }).message).toBe(
      "Cannot divide 1 (type Int64) and 0 (type Int64): division by zero",
    );
    expect(evalErrorOf({ $mod: [lit(1n), lit(0n)] }).code).toBe("BadRequest");
  });

  test("rejects mixed-type arithmetic with Convex's wording", () => {
    expect(evalErrorOf({ $add: [field("salary"), lit(1)] }).message).toBe(
      "Cannot add 5 (type Int64) and 1.0 (type Float64)",
    );
    expect(evalErrorOf({ $sub: [field("missing"), lit("x")] }).message).toBe(
      'Cannot subtract undefined (type undefined) and "x" (type String)',
    );
    expect(evalErrorOf({ $neg: lit(null) }).message).toBe(
      "Cannot negate null (type Null)",
    );
  });

  test("short-circuits and/or and requires boolean operands", () => {
    expect(evaluate({ $and: [lit(false), lit(3)] })).toBe(false);
    expect(evaluate({ $or: [lit(true), lit(3)] })).toBe(true);
    expect(evaluate({ $and: [] })).toBe(true);
    expect(evaluate({ $or: [] })).toBe(false);
    expect(evalErrorOf({ $and: [lit(true), lit(3n)] }).message).toBe(
      "Cannot use value 3 (type Int64) as a Boolean",
    );
    expect(evalErrorOf({ $or: [lit(false), field("email")] }).message).toBe(
      'Cannot use value "bw@convex.dev" (type String) as a Boolean',
    );
    expect(evalErrorOf({ $not: field("missing") }).message).toBe(
      "Cannot use value undefined (type undefined) as a Boolean",
    );
  });
});

describe("evaluateFilter", () => {
  test("returns the boolean result", () => {
    expect(
      evaluateFilter(
        parseExpression({ $eq: [field("email"), lit("bw@convex.dev")] }),
        doc,
      ),
    ).toBe(true);
  });

  test("requires the result to be a boolean", () => {
    expect(() => evaluateFilter(parseExpression(lit(1)), doc)).toThrow(
      "Cannot use value 1.0 (type Float64) as a Boolean",
    );
    expect(() => evaluateFilter(parseExpression(field("list")), doc)).toThrow(
      "Cannot use value [1.0, 2.0] (type Array) as a Boolean",
    );
  });
});
