/**
 * The convex-JSON codec: Convex values to and from the JSON the official clients and the
 * `convex` package exchange. Behaviour (encodings, key order, accepted inputs, error messages)
 * is that of `convexToJson`/`jsonToConvex` in `convex/src/values/value.ts`, checked against the
 * package itself in `json.test.ts`.
 */
import { decodeBase64, encodeBase64 } from "./base64.js";
import { COMMIT_TS_PLACEHOLDER, CommitTsPlaceholder } from "./value.js";
import type { JsonValue, Value } from "./value.js";

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
/** Field names longer than this are refused, as by the package and the backend. */
const MAX_FIELD_NAME_LENGTH = 1024;
/** Error messages quote values up to this many characters, like the package. */
const MAX_VALUE_FOR_ERROR_LENGTH = 16384;
const TYPES_DOC =
  "To learn about Convex's supported types, see https://docs.convex.dev/using/types.";

/** 8-byte scratch for int64/float64 conversions; the codec is synchronous, so one suffices. */
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

/**
 * True for plain objects: prototype `Object.prototype` or `null`, or an object from another realm
 * whose prototype's constructor is named `Object` (the package's `isSimpleObject`).
 */
export function isSimpleObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null || prototype === Object.prototype) return true;
  const ctor: unknown = (prototype as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name === "Object";
}

/** Float64 values that have no JSON number form: NaN, ±Infinity and -0. */
function isSpecialFloat(n: number): boolean {
  return !Number.isFinite(n) || Object.is(n, -0);
}

/**
 * Throws the package's error for a field name that is too long, starts with `$`, or contains a
 * character outside printable ASCII (32–126). The empty name is allowed.
 */
export function assertValidFieldName(name: string): void {
  if (name.length > MAX_FIELD_NAME_LENGTH) {
    throw new Error(
      `Field name ${name} exceeds maximum field name length ${MAX_FIELD_NAME_LENGTH}.`,
    );
  }
  if (name.startsWith("$")) {
    throw new Error(`Field name ${name} starts with a '$', which is reserved.`);
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 32 || code >= 127) {
      throw new Error(
        `Field name ${name} has invalid character '${name[i]}': Field names can only contain non-control ASCII characters`,
      );
    }
  }
}

/**
 * Renders a value for an error message as the package does: JSON with `undefined`, functions,
 * symbols and bigints spelled out, truncated to 16384 characters without splitting a surrogate
 * pair.
 */
export function stringifyValueForError(value: unknown): string {
  const text: string | undefined = JSON.stringify(value, (_key, v: unknown) => {
    if (v === undefined) return "undefined";
    if (typeof v === "function") return "[Function]";
    if (typeof v === "symbol") return String(v);
    if (typeof v === "bigint") return `${v}n`;
    return v;
  });
  if (text === undefined || text.length <= MAX_VALUE_FOR_ERROR_LENGTH)
    return String(text);
  const rest = "[...truncated]";
  let cut = MAX_VALUE_FOR_ERROR_LENGTH - rest.length;
  const codePoint = text.codePointAt(cut - 1);
  if (codePoint !== undefined && codePoint > 0xffff) cut -= 1;
  return text.substring(0, cut) + rest;
}

function int64ToBase64(value: bigint): string {
  scratch.setBigInt64(0, value, true);
  return encodeBase64(scratchBytes);
}

function float64ToBase64(value: number): string {
  scratch.setFloat64(0, value, true);
  return encodeBase64(scratchBytes);
}

/**
 * The path from the root to the value being encoded (field names and array indexes), kept as a
 * stack so the path text is only built when an error needs it.
 */
const pathStack: (string | number)[] = [];

function currentPath(): string {
  let path = "";
  for (const step of pathStack)
    path += typeof step === "number" ? `[${step}]` : `.${step}`;
  return path;
}

function unsupportedTypeMessage(
  typeName: string,
  value: unknown,
  original: unknown,
): string {
  const path = currentPath();
  if (path === "") {
    return `${typeName}${stringifyValueForError(value)} is not a supported Convex type.`;
  }
  return `${typeName}${stringifyValueForError(value)} is not a supported Convex type (present at path ${path} in original object ${stringifyValueForError(original)}). ${TYPES_DOC}`;
}

function encode(value: unknown, original: unknown): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return isSpecialFloat(value) ? { $float: float64ToBase64(value) } : value;
    case "bigint":
      if (value < MIN_INT64 || value > MAX_INT64) {
        throw new Error(
          `BigInt ${value} does not fit into a 64-bit signed integer.`,
        );
      }
      return { $integer: int64ToBase64(value) };
    case "undefined": {
      const path = currentPath();
      const where =
        path &&
        ` (present at path ${path} in original object ${stringifyValueForError(original)})`;
      throw new Error(
        `undefined is not a valid Convex value${where}. ${TYPES_DOC}`,
      );
    }
    default:
      return encodeObjectLike(value, original);
  }
}

function encodeObjectLike(value: unknown, original: unknown): JsonValue {
  if (value === null) return null;
  if (value instanceof ArrayBuffer)
    return { $bytes: encodeBase64(new Uint8Array(value)) };
  if (value instanceof CommitTsPlaceholder) return { $commitTs: null };
  if (Array.isArray(value)) return encodeArray(value, original);
  if (value instanceof Set) {
    throw new Error(unsupportedTypeMessage("Set", [...value], original));
  }
  if (value instanceof Map) {
    throw new Error(unsupportedTypeMessage("Map", [...value], original));
  }
  if (!isSimpleObject(value)) {
    const ctorName = (value as { constructor?: { name?: unknown } } | undefined)
      ?.constructor?.name;
    const typeName =
      typeof ctorName === "string" && ctorName !== "" ? `${ctorName} ` : "";
    throw new Error(unsupportedTypeMessage(typeName, value, original));
  }
  return encodeObject(value as Record<string, unknown>, original);
}

function encodeArray(value: unknown[], original: unknown): JsonValue {
  const out: JsonValue[] = new Array<JsonValue>(value.length);
  for (let i = 0; i < value.length; i++) {
    const element = value[i];
    // Holes stay holes, as with the package's `map`.
    if (element === undefined && !(i in value)) continue;
    pathStack.push(i);
    out[i] = encode(element, original);
    pathStack.pop();
  }
  return out;
}

function encodeObject(
  value: Record<string, unknown>,
  original: unknown,
): JsonValue {
  const keys = Object.keys(value).sort();
  const out: { [key: string]: JsonValue } = {};
  for (const key of keys) {
    const field = value[key];
    if (field === undefined) continue;
    assertValidFieldName(key);
    pathStack.push(key);
    out[key] = encode(field, original);
    pathStack.pop();
  }
  return out;
}

/**
 * Converts a Convex value to convex-JSON, exactly as the package's `convexToJson` does:
 * int64 → `{"$integer": base64 LE}`, NaN/±Infinity/-0 → `{"$float": base64 LE}`, bytes →
 * `{"$bytes": base64}`, the commit-ts placeholder → `{"$commitTs": null}`, object keys sorted,
 * `undefined` fields dropped.
 *
 * @throws Error with the package's message for `undefined` (except as an object field), bigints
 *   outside int64, invalid field names, and unsupported types (Set, Map, class instances,
 *   functions, symbols).
 */
export function convexToJson(value: Value): JsonValue {
  pathStack.length = 0;
  return encode(value, value);
}

function decodeInt64(text: string): bigint {
  const bytes = decodeBase64(text);
  if (bytes.byteLength !== 8) {
    throw new Error(
      `Received ${bytes.byteLength} bytes, expected 8 for $integer`,
    );
  }
  scratchBytes.set(bytes);
  return scratch.getBigInt64(0, true);
}

function decodeFloat64(text: string): number {
  const bytes = decodeBase64(text);
  if (bytes.byteLength !== 8) {
    throw new Error(
      `Received ${bytes.byteLength} bytes, expected 8 for $float`,
    );
  }
  scratchBytes.set(bytes);
  const float = scratch.getFloat64(0, true);
  if (!isSpecialFloat(float))
    throw new Error(`Float ${float} should be encoded as a number`);
  return float;
}

/** What `decodeSpecial` returns for a one-key object whose key is not a special form. */
const NOT_SPECIAL = Symbol("not special");

/** Decodes a one-key object whose key is special; returns `NOT_SPECIAL` for any other key. */
function decodeSpecial(
  key: string,
  object: Record<string, unknown>,
): Value | typeof NOT_SPECIAL {
  const field = object[key];
  switch (key) {
    case "$bytes":
      if (typeof field !== "string")
        throw new Error(`Malformed $bytes field on ${objectText(object)}`);
      return decodeBase64(field).buffer as ArrayBuffer;
    case "$integer":
      if (typeof field !== "string") {
        throw new Error(`Malformed $integer field on ${objectText(object)}`);
      }
      return decodeInt64(field);
    case "$float":
      if (typeof field !== "string")
        throw new Error(`Malformed $float field on ${objectText(object)}`);
      return decodeFloat64(field);
    case "$commitTs":
      if (field !== null)
        throw new Error(`Malformed $commitTs field on ${objectText(object)}`);
      return COMMIT_TS_PLACEHOLDER;
    case "$set":
      throw new Error(
        "Received a Set which is no longer supported as a Convex type.",
      );
    case "$map":
      throw new Error(
        "Received a Map which is no longer supported as a Convex type.",
      );
    default:
      return NOT_SPECIAL;
  }
}

/** How the package's messages print an object: `${object}`, i.e. `[object Object]`. */
function objectText(object: object): string {
  return Object.prototype.toString.call(object);
}

function decode(json: unknown): Value {
  switch (typeof json) {
    case "string":
    case "number":
    case "boolean":
      return json;
    case "object":
      break;
    default:
      throw new Error(`Unexpected type of ${String(json)}`);
  }
  if (json === null) return null;
  if (Array.isArray(json)) return json.map(decode);
  const object = json as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const special = decodeSpecial(keys[0]!, object);
    if (special !== NOT_SPECIAL) return special;
  }
  const out: { [key: string]: Value } = {};
  for (const key of keys) {
    assertValidFieldName(key);
    out[key] = decode(object[key]);
  }
  return out;
}

/**
 * Parses convex-JSON into a Convex value, exactly as the package's `jsonToConvex` does (same
 * results, same errors).
 *
 * @throws Error for malformed `$bytes`/`$integer`/`$float`/`$commitTs` forms, `$float` used for an
 *   ordinary number, the retired `$set`/`$map` forms, invalid field names, and non-JSON inputs.
 */
export function jsonToConvex(json: JsonValue): Value {
  return decode(json);
}

/**
 * Like {@link jsonToConvex}, but also accepts `{"$undefined": null}` (the package's encoding of a
 * missing value in filter and range literals and in top-level `patch` fields) and returns
 * `undefined` for it. Only the value itself may be `$undefined`, never something nested in it.
 */
export function jsonToConvexOrUndefined(json: JsonValue): Value | undefined {
  if (
    typeof json === "object" &&
    json !== null &&
    !Array.isArray(json) &&
    json["$undefined"] === null &&
    Object.keys(json).length === 1
  ) {
    return undefined;
  }
  return decode(json);
}
