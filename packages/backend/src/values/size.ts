/**
 * Size accounting and shape limits of Convex values and documents.
 *
 * Sizes follow convex-backend's `Size` trait (`crates/value/src/size.rs`), which the package's
 * `getConvexSize`/`getDocumentSize` (`convex/src/values/size.ts`) mirror and `size.test.ts`
 * checks against: null and booleans 1 byte, int64 and float64 9, strings and bytes 2 + their
 * length in bytes (UTF-8 for strings), arrays 2 + their elements, objects 2 + (name + 1 + value)
 * per present field.
 *
 * Limits and their messages come from convex-backend: `MAX_USER_SIZE` and
 * `MAX_DOCUMENT_NESTING` with `DocumentValidationError` (`crates/common/src/document.rs`),
 * `MAX_OBJECT_FIELDS` (`object.rs`), `MAX_ARRAY_LEN` (`array.rs`), `MAX_NESTING` (`size.rs`), and
 * field names and identifiers (`sync_types/src/identifier.rs`). The wording of the size error
 * parallels `check_system_size` ("Value is too large (… > maximum size …)"), whose user-size twin
 * `check_user_size` is not in the sources we could read.
 */
import { BackendError } from "../errors/backend-error.js";
import { CommitTsPlaceholder } from "./value.js";
import type { ObjectValue, Value } from "./value.js";
import { displayValue } from "./value-display.js";

/** Largest document a user may write, `_id` and `_creationTime` included (1 MiB). */
export const MAX_DOCUMENT_BYTES = 1 << 20;
/** Deepest nesting of arrays and objects in a document (the document itself is level 1). */
export const MAX_DOCUMENT_NESTING = 16;
/** Deepest nesting of any value; deeper input is refused before it can exhaust the stack. */
export const MAX_VALUE_NESTING = 64;
export const MAX_OBJECT_FIELDS = 1024;
export const MAX_ARRAY_LENGTH = 8192;
export const MAX_FIELD_NAME_LENGTH = 1024;
/** Table and index names. */
export const MAX_IDENTIFIER_LENGTH = 64;

/** Size of `_id` when a document has none yet: name + NUL (4) + a 32-character string (34). */
const ID_FIELD_ESTIMATE = 38;
/** Size of `_creationTime`: name + NUL (14) + a float64 (9). */
const CREATION_TIME_FIELD_SIZE = 23;
/** Below this length, counting UTF-8 bytes in JS beats the native call. */
const NATIVE_UTF8_LENGTH_THRESHOLD = 64;

/** UTF-8 length of a string; lone surrogates count 3 bytes (as U+FFFD would). */
export function utf8Length(text: string): number {
  if (text.length > NATIVE_UTF8_LENGTH_THRESHOLD)
    return Buffer.byteLength(text, "utf8");
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      isLowSurrogateAt(text, i + 1)
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogateAt(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * The size of a value in bytes, as Convex counts it for limits and bandwidth (`undefined` is 0).
 * Equal to the package's `getConvexSize` for every value.
 */
export function getValueSize(value: Value | undefined): number {
  switch (typeof value) {
    case "undefined":
      return 0;
    case "boolean":
      return 1;
    case "bigint":
    case "number":
      return 9;
    case "string":
      return 2 + utf8Length(value);
    default:
      return compositeSize(value);
  }
}

function compositeSize(
  value: Exclude<Value, boolean | bigint | number | string>,
): number {
  if (value === null) return 1;
  if (value instanceof ArrayBuffer) return 2 + value.byteLength;
  if (value instanceof CommitTsPlaceholder) return 9;
  let size = 2;
  if (Array.isArray(value)) {
    for (const element of value) size += getValueSize(element);
    return size;
  }
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (field !== undefined) size += utf8Length(key) + 1 + getValueSize(field);
  }
  return size;
}

/**
 * The size of a document in bytes. A document without `_id` or `_creationTime` (a value about to
 * be inserted) is counted as if they were present, `_id` with a typical 32-character ID. Equal to
 * the package's `getDocumentSize`.
 */
export function getDocumentSize(document: ObjectValue): number {
  let size = getValueSize(document);
  if (document["_id"] === undefined) size += ID_FIELD_ESTIMATE;
  if (document["_creationTime"] === undefined) size += CREATION_TIME_FIELD_SIZE;
  return size;
}

/** What one pass over a document learns: its size and nesting. */
interface Shape {
  size: number;
  nesting: number;
}

/**
 * Checks that a document (with or without its system fields) is within Convex's limits, in the
 * order Convex checks them: field names, fields per object and array lengths (as the value is
 * built), then the size, then nesting and top-level system fields (document validation).
 *
 * @throws BackendError (BadRequest) with Convex's short message and text:
 *   `InvalidFieldName` (over 1024 characters, starting with `$`, or not printable ASCII),
 *   `TooManyFieldsError` (over 1024 fields), `ArrayTooLong` (over 8192 elements), `TooNestedError`
 *   (over 64 levels), `ValueTooLargeError` (over 1 MiB), `InvalidDocumentError` (nesting over 16,
 *   or a top-level field starting with `_` other than `_id` and `_creationTime`).
 */
export function validateDocumentShape(document: ObjectValue): void {
  const shape = measure(document, 1);
  if (shape.size > MAX_DOCUMENT_BYTES) {
    throw new BackendError(
      "BadRequest",
      "ValueTooLargeError",
      `Value is too large (${formatBinarySize(shape.size)} > maximum size ${formatBinarySize(MAX_DOCUMENT_BYTES)})`,
    );
  }
  const violations: string[] = [];
  if (shape.nesting > MAX_DOCUMENT_NESTING) {
    violations.push(
      `Document is too nested (nested ${shape.nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`,
    );
  }
  for (const key of Object.keys(document)) {
    if (key.startsWith("_") && key !== "_id" && key !== "_creationTime") {
      violations.push(
        `Field '${key}' starts with an underscore, which is only allowed for system fields like '_id'`,
      );
    }
  }
  if (violations.length > 0) {
    throw new BackendError(
      "BadRequest",
      "InvalidDocumentError",
      `Document(value: ${displayValue(document)}) isn't a valid document: ${violations.join("\n ")}`,
    );
  }
}

/** Size and nesting of a value at `depth` (1 for the document), checking limits on the way. */
function measure(value: Value | undefined, depth: number): Shape {
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof ArrayBuffer
  ) {
    return { size: getValueSize(value), nesting: 0 };
  }
  if (value instanceof CommitTsPlaceholder) return { size: 9, nesting: 0 };
  if (depth > MAX_VALUE_NESTING) {
    throw new BackendError(
      "BadRequest",
      "TooNestedError",
      `Value is too nested (nested ${depth} levels deep > maximum nesting ${MAX_VALUE_NESTING})`,
    );
  }
  return Array.isArray(value)
    ? measureArray(value, depth)
    : measureObject(value, depth);
}

function measureArray(array: Value[], depth: number): Shape {
  if (array.length > MAX_ARRAY_LENGTH) {
    throw new BackendError(
      "BadRequest",
      "ArrayTooLong",
      `Array length is too long (${array.length} > maximum length ${MAX_ARRAY_LENGTH})`,
    );
  }
  const shape: Shape = { size: 2, nesting: 1 };
  for (const element of array) addChild(shape, measure(element, depth + 1));
  return shape;
}

function measureObject(object: ObjectValue, depth: number): Shape {
  const shape: Shape = { size: 2, nesting: 1 };
  let fields = 0;
  for (const key of Object.keys(object)) {
    const field = object[key];
    if (field === undefined) continue;
    fields++;
    validateFieldName(key);
    shape.size += utf8Length(key) + 1;
    addChild(shape, measure(field, depth + 1));
  }
  if (fields > MAX_OBJECT_FIELDS) {
    throw new BackendError(
      "BadRequest",
      "TooManyFieldsError",
      `Object has too many fields (${fields} > maximum number ${MAX_OBJECT_FIELDS})`,
    );
  }
  return shape;
}

function addChild(parent: Shape, child: Shape): void {
  parent.size += child.size;
  if (child.nesting + 1 > parent.nesting) parent.nesting = child.nesting + 1;
}

/**
 * Checks a field name as Convex does: at most 1024 characters, not starting with `$`, printable
 * ASCII only (the empty name is allowed).
 *
 * @throws BackendError (BadRequest, `InvalidFieldName`) with Convex's message.
 */
export function validateFieldName(name: string): void {
  if (name.startsWith("$")) {
    throw invalidFieldName(
      `Field name ${name} starts with '$', which is reserved.`,
    );
  }
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code < 32 || code >= 127) {
      throw invalidFieldName(
        `Field name ${name} has invalid character '${char}': Field names can only contain non-control ASCII characters`,
      );
    }
  }
  if (name.length > MAX_FIELD_NAME_LENGTH) {
    throw invalidFieldName(
      `Field name is too long (${name.length} > maximum ${MAX_FIELD_NAME_LENGTH})`,
    );
  }
}

function invalidFieldName(message: string): BackendError {
  return new BackendError("BadRequest", "InvalidFieldName", message);
}

/**
 * Checks a table or index name: `[A-Za-z_][A-Za-z0-9_]*`, at most 64 characters, not only
 * underscores.
 *
 * @throws BackendError (BadRequest, `InvalidTableName` or `InvalidIndexName`) with Convex's
 *   message.
 */
export function validateIdentifier(
  name: string,
  kind: "table" | "index",
): void {
  const problem = identifierProblem(name);
  if (problem !== null) {
    const shortMsg = kind === "table" ? "InvalidTableName" : "InvalidIndexName";
    throw new BackendError(
      "BadRequest",
      shortMsg,
      `Invalid ${kind} name: ${problem}`,
    );
  }
}

function identifierProblem(name: string): string | null {
  const first = name[0];
  if (first === undefined) return "Identifier cannot be empty";
  if (!/[A-Za-z_]/.test(first)) {
    return `Invalid first character '${first}' in ${name}: Identifiers must start with an alphabetic character or underscore`;
  }
  const bad = /[^A-Za-z0-9_]/u.exec(name);
  if (bad !== null) {
    return `Identifier ${name} has invalid character '${bad[0]}': Identifiers can only contain alphanumeric characters or underscores`;
  }
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    return `Identifier is too long (${name.length} > maximum ${MAX_IDENTIFIER_LENGTH})`;
  }
  if (/^_+$/.test(name))
    return `Identifier ${name} cannot have exclusively underscores`;
  return null;
}

/**
 * A byte count as the Rust `humansize` crate prints it with binary units: `512 B`, `1 MiB`,
 * `1.5 MiB` (two decimals at most, trailing zeros dropped).
 */
export function formatBinarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : String(Number(value.toFixed(2)));
  return `${text} ${units[unit]}`;
}
