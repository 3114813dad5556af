/**
 * How convex-backend prints values and their types inside error messages (`Display` of
 * `ConvexValue` / `MaybeValue` and `type_name()` in `crates/value/src/lib.rs`), so that filter and
 * index-range errors read exactly like Convex's.
 */
import { CommitTsPlaceholder, type Value } from "../../values/value.js";

/** The type name Convex reports: `undefined`, `Null`, `Int64`, `Float64`, `Boolean`, … */
export function valueTypeName(value: Value | undefined): string {
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
      // Convex resolves an unresolved commit timestamp to an int64 before comparing it.
      if (value instanceof CommitTsPlaceholder) return "Int64";
      return Array.isArray(value) ? "Array" : "Object";
  }
}

/**
 * The value as Convex displays it: `undefined`, `null`, `5` (int64), `5.0` (float64, Rust's
 * `{:?}` formatting), `true`, `"text"` (quoted), `b"AAE="` (bytes as base64), `[1, 2]`,
 * `{a: 1}`.
 */
export function displayValue(value: Value | undefined): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      return displayFloat(value);
    case "boolean":
      return String(value);
    case "string":
      return JSON.stringify(value);
    default:
      return displayComposite(value);
  }
}

function displayComposite(
  value: Exclude<Value, null | bigint | number | boolean | string>,
) {
  if (value instanceof CommitTsPlaceholder) return value.toString();
  if (value instanceof ArrayBuffer) {
    return `b${JSON.stringify(Buffer.from(value).toString("base64"))}`;
  }
  if (Array.isArray(value)) return `[${value.map(displayValue).join(", ")}]`;
  const fields = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort()
    .map((key) => `${key}: ${displayValue(value[key])}`);
  return `{${fields.join(", ")}}`;
}

/**
 * Rust's `{:?}` for f64: always shows a fractional part or an exponent, uses scientific notation
 * below 1e-4 and from 1e16 upward, and spells the specials `NaN`, `inf`, `-inf`.
 */
function displayFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const magnitude = Math.abs(n);
  if (magnitude >= 1e16 || magnitude < 1e-4)
    return n.toExponential().replace("e+", "e");
  const text = String(n);
  return Number.isInteger(n) ? `${text}.0` : text;
}
