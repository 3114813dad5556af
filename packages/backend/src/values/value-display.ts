/**
 * Values as convex-backend prints them inside error messages (`Display` of `ConvexValue` in
 * `crates/value/src/lib.rs` and of objects, arrays and bytes beside it), so validator and document
 * errors read like Convex's:
 *
 * `null`, `5` (int64), `5.0` / `1e16` / `NaN` / `inf` (float64, Rust's `{:?}`), `true`,
 * `"text"` (Rust string escapes), `b"AAE="` (bytes as base64), `[1, 2]`, `{a: 1, b: "x"}` (fields
 * sorted, names unquoted).
 */
import { encodeBase64 } from "./base64.js";
import { presentKeys } from "./compare.js";
import { CommitTsPlaceholder } from "./value.js";
import type { Value } from "./value.js";

/** Renders a value the way Convex's error messages do; `undefined` renders as `undefined`. */
export function displayValue(value: Value | undefined): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "bigint":
      return value.toString();
    case "number":
      return displayFloat(value, DEBUG_MIN_DECIMAL);
    case "boolean":
      return String(value);
    case "string":
      return debugString(value);
    default:
      return displayComposite(value);
  }
}

function displayComposite(
  value: Exclude<Value, bigint | number | boolean | string>,
): string {
  if (value === null) return "null";
  if (value instanceof ArrayBuffer)
    return `b"${encodeBase64(new Uint8Array(value))}"`;
  if (value instanceof CommitTsPlaceholder) return value.toString();
  if (Array.isArray(value)) return `[${value.map(displayValue).join(", ")}]`;
  const fields = presentKeys(value).map(
    (key) => `${key}: ${displayValue(value[key])}`,
  );
  return `{${fields.join(", ")}}`;
}

/** Rust's `{:?}` for f64 prints plain decimals from 1e-4 up to (not including) 1e16. */
const DEBUG_MIN_DECIMAL = 1e-4;
/** serde_json (ryu) prints plain decimals from 1e-5 up to (not including) 1e16. */
export const JSON_MIN_DECIMAL = 1e-5;
const MAX_DECIMAL = 1e16;

/**
 * A float in Rust's style: shortest round-trip digits, always with a fraction or an exponent
 * (`1.0`, `0.5`, `1e16`, `1.5e-7`), `-0.0`, and `NaN`/`inf`/`-inf`. Numbers from `minDecimal` up
 * to 1e16 in magnitude print as decimals, others in exponent form.
 */
export function displayFloat(
  n: number,
  minDecimal: number = DEBUG_MIN_DECIMAL,
): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const magnitude = Math.abs(n);
  if (magnitude >= MAX_DECIMAL || magnitude < minDecimal) {
    return n.toExponential().replace("e+", "e");
  }
  const text = String(n);
  return Number.isInteger(n) ? `${text}.0` : text;
}

/**
 * A string as Rust's `{:?}` prints it: in double quotes, with `\"`, `\\`, `\n`, `\r`, `\t`, `\0`
 * and `\u{…}` for other control and invisible characters.
 */
export function debugString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    switch (char) {
      case '"':
        out += '\\"';
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\0":
        out += "\\0";
        break;
      default:
        out += isPrintable(code) ? char : `\\u{${code.toString(16)}}`;
    }
  }
  return `${out}"`;
}

/** An approximation of Rust's `char::is_printable` covering the characters that matter here. */
function isPrintable(code: number): boolean {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  if (code === 0xad || code === 0x2028 || code === 0x2029 || code === 0xfeff)
    return false;
  if (code >= 0x200b && code <= 0x200f) return false;
  return !(code >= 0xd800 && code <= 0xdfff);
}
