/**
 * The filter expression language of `.filter(q => …)`: parsing the JSON the official package
 * sends (`{"$eq": [l, r]}`, `{"$field": "a.b"}`, `{"$literal": …}`, …) and evaluating it against a
 * document with convex-backend's rules (`Expression::eval` in `crates/common/src/query.rs`):
 *
 * - a missing field is `undefined`, which sorts below every value;
 * - comparisons use the total value order, with no coercion (`1n` ≠ `1`);
 * - arithmetic needs two int64s or two float64s; int64 is checked (overflow and division by zero
 *   are errors), float64 follows IEEE, `mod` is the truncated remainder;
 * - `and`/`or` short-circuit and every operand, like the filter's result, must be a boolean.
 *
 * Evaluation errors are `BackendError` BadRequest `EvalError` with Convex's wording.
 */
import { BackendError, badRequest } from "../../errors/backend-error.js";
import { compareValues } from "../../values/compare.js";
import { jsonToConvexOrUndefined } from "../../values/json.js";
import { displayValue } from "../../values/value-display.js";
import {
  CommitTsPlaceholder,
  type JsonValue,
  type Value,
} from "../../values/value.js";
import { getFieldValue, parseFieldPath, type FieldPath } from "./field-path.js";

export type ComparisonOperator = "eq" | "neq" | "lt" | "lte" | "gt" | "gte";
export type ArithmeticOperator = "add" | "sub" | "mul" | "div" | "mod";

/** A parsed filter expression. */
export type Expression =
  | {
      readonly type: ComparisonOperator | ArithmeticOperator;
      readonly left: Expression;
      readonly right: Expression;
    }
  | { readonly type: "neg" | "not"; readonly operand: Expression }
  | { readonly type: "and" | "or"; readonly operands: readonly Expression[] }
  | { readonly type: "field"; readonly path: FieldPath }
  | { readonly type: "literal"; readonly value: Value | undefined };

const BINARY_OPERATORS: ReadonlySet<string> = new Set([
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "add",
  "sub",
  "mul",
  "div",
  "mod",
]);

/** Deeper expressions are refused rather than risking the stack (serde_json's limit is 128). */
const MAX_EXPRESSION_DEPTH = 128;

/**
 * Parses one filter expression node (recursively).
 *
 * @throws BackendError BadRequest `InvalidQuery` for malformed JSON, `InvalidFieldPath` for a bad
 *   `$field`.
 */
export function parseExpression(json: unknown, depth = 0): Expression {
  if (depth > MAX_EXPRESSION_DEPTH) {
    throw invalidFilter(
      `expressions are nested more than ${MAX_EXPRESSION_DEPTH} levels deep`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidFilter(
      `expected an expression object, received ${describeJson(json)}`,
    );
  }
  const keys = Object.keys(json);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || !key.startsWith("$")) {
    throw invalidFilter(
      `an expression must be an object with exactly one "$" key, received keys [${keys.join(", ")}]`,
    );
  }
  const body = (json as Record<string, unknown>)[key];
  return parseNode(key.slice(1), body, depth + 1);
}

function parseNode(op: string, body: unknown, depth: number): Expression {
  if (BINARY_OPERATORS.has(op)) {
    if (!Array.isArray(body) || body.length !== 2) {
      throw invalidFilter(`"$${op}" takes an array of two expressions`);
    }
    const type = op as ComparisonOperator | ArithmeticOperator;
    return {
      type,
      left: parseExpression(body[0], depth),
      right: parseExpression(body[1], depth),
    };
  }
  switch (op) {
    case "neg":
    case "not":
      return { type: op, operand: parseExpression(body, depth) };
    case "and":
    case "or":
      if (!Array.isArray(body))
        throw invalidFilter(`"$${op}" takes an array of expressions`);
      return {
        type: op,
        operands: body.map((item) => parseExpression(item, depth)),
      };
    case "field":
      if (typeof body !== "string")
        throw invalidFilter(`"$field" takes a string field path`);
      return { type: "field", path: parseFieldPath(body) };
    case "literal":
      return { type: "literal", value: parseLiteral(body) };
    default:
      throw invalidFilter(`unknown expression "$${op}"`);
  }
}

/**
 * Decodes a convex-JSON literal, where `{"$undefined": null}` stands for a missing value.
 *
 * @throws BackendError BadRequest `InvalidQuery` when the JSON is not valid convex-JSON.
 */
export function parseLiteral(json: unknown): Value | undefined {
  try {
    return jsonToConvexOrUndefined(json as JsonValue);
  } catch (e) {
    if (e instanceof BackendError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw badRequest(
      "InvalidQuery",
      `Invalid literal value in query: ${reason}`,
    );
  }
}

/**
 * Evaluates `expression` against `document` and requires a boolean, as a `filter` operator does.
 *
 * @throws BackendError BadRequest `EvalError` (see the module comment).
 */
export function evaluateFilter(
  expression: Expression,
  document: { readonly [key: string]: Value | undefined },
): boolean {
  return toBoolean(evaluateExpression(expression, document));
}

/**
 * Evaluates `expression` against `document`; `undefined` is a missing value.
 *
 * @throws BackendError BadRequest `EvalError` (see the module comment).
 */
export function evaluateExpression(
  expression: Expression,
  document: { readonly [key: string]: Value | undefined },
): Value | undefined {
  const evaluate = (e: Expression) => evaluateExpression(e, document);
  switch (expression.type) {
    case "field":
      return getFieldValue(document, expression.path);
    case "literal":
      return expression.value;
    case "eq":
    case "neq":
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return compare(
        expression.type,
        evaluate(expression.left),
        evaluate(expression.right),
      );
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "mod":
      return arithmetic(
        expression.type,
        evaluate(expression.left),
        evaluate(expression.right),
      );
    case "neg":
      return negate(evaluate(expression.operand));
    case "not":
      return !toBoolean(evaluate(expression.operand));
    case "and":
      return expression.operands.every((operand) =>
        toBoolean(evaluate(operand)),
      );
    case "or":
      return expression.operands.some((operand) =>
        toBoolean(evaluate(operand)),
      );
    default:
      return expression satisfies never;
  }
}

function compare(
  op: ComparisonOperator,
  l: Value | undefined,
  r: Value | undefined,
): boolean {
  const c = compareValues(l, r);
  switch (op) {
    case "eq":
      return c === 0;
    case "neq":
      return c !== 0;
    case "lt":
      return c < 0;
    case "lte":
      return c <= 0;
    case "gt":
      return c > 0;
    case "gte":
      return c >= 0;
    default:
      return op satisfies never;
  }
}

const VERB: Readonly<Record<ArithmeticOperator, string>> = {
  add: "add",
  sub: "subtract",
  mul: "multiply",
  div: "divide",
  mod: "mod",
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function arithmetic(
  op: ArithmeticOperator,
  l: Value | undefined,
  r: Value | undefined,
): Value {
  if (typeof l === "bigint" && typeof r === "bigint")
    return intArithmetic(op, l, r);
  if (typeof l === "number" && typeof r === "number")
    return floatArithmetic(op, l, r);
  throw evalError(
    `Cannot ${VERB[op]} ${displayValue(l)} (type ${valueTypeName(l)}) and ${displayValue(r)} ` +
      `(type ${valueTypeName(r)})`,
  );
}

function intArithmetic(op: ArithmeticOperator, l: bigint, r: bigint): bigint {
  const fail = (reason: string) =>
    evalError(
      `Cannot ${VERB[op]} ${l} (type Int64) and ${r} (type Int64): ${reason}`,
    );
  if ((op === "div" || op === "mod") && r === 0n)
    throw fail("division by zero");
  // Rust's checked_rem also refuses MIN % -1, whose quotient overflows.
  if (op === "mod" && l === INT64_MIN && r === -1n)
    throw fail("integer overflow");
  const result = computeInt(op, l, r);
  if (result < INT64_MIN || result > INT64_MAX) throw fail("integer overflow");
  return result;
}

function computeInt(op: ArithmeticOperator, l: bigint, r: bigint): bigint {
  switch (op) {
    case "add":
      return l + r;
    case "sub":
      return l - r;
    case "mul":
      return l * r;
    // BigInt division and remainder truncate toward zero, like Rust's i64 operators.
    case "div":
      return l / r;
    case "mod":
      return l % r;
    default:
      return op satisfies never;
  }
}

function floatArithmetic(op: ArithmeticOperator, l: number, r: number): number {
  switch (op) {
    case "add":
      return l + r;
    case "sub":
      return l - r;
    case "mul":
      return l * r;
    case "div":
      return l / r;
    // JavaScript's % on numbers is fmod (truncated), like Rust's f64 %.
    case "mod":
      return l % r;
    default:
      return op satisfies never;
  }
}

function negate(x: Value | undefined): Value {
  if (typeof x === "bigint") {
    if (x === INT64_MIN)
      throw evalError(`Cannot negate ${x} (type Int64): integer overflow`);
    return -x;
  }
  if (typeof x === "number") return -x;
  throw evalError(
    `Cannot negate ${displayValue(x)} (type ${valueTypeName(x)})`,
  );
}

function toBoolean(value: Value | undefined): boolean {
  if (typeof value === "boolean") return value;
  throw evalError(
    `Cannot use value ${displayValue(value)} (type ${valueTypeName(value)}) as a Boolean`,
  );
}

function evalError(message: string): BackendError {
  return badRequest("EvalError", message);
}

function invalidFilter(reason: string): BackendError {
  return badRequest("InvalidQuery", `Invalid filter expression: ${reason}.`);
}

function describeJson(json: unknown): string {
  if (json === undefined) return "nothing";
  return Array.isArray(json) ? "an array" : JSON.stringify(json);
}

/** The type name Convex reports in evaluation errors (`MaybeValue::type_name`). */
function valueTypeName(value: Value | undefined): string {
  if (value === undefined) return "undefined";
  if (value === null) return "Null";
  switch (typeof value) {
    case "bigint":
      return "Int64";
    case "number":
      return "Float64";
    case "boolean":
      return "Boolean";
    case "string":
      return "String";
    default:
      if (value instanceof ArrayBuffer) return "Bytes";
      // Convex resolves an unresolved commit timestamp to an int64 before using it.
      if (value instanceof CommitTsPlaceholder) return "Int64";
      return Array.isArray(value) ? "Array" : "Object";
  }
}
