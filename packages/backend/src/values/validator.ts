/**
 * Checking values against validators, in the JSON form `v.*` validators export (`.json`, the
 * `ValidatorJSON` type of `convex/src/values/validators.ts`), with convex-backend's semantics and
 * error texts (`Validator::check_value` and `ValidationError` in
 * `crates/common/src/schemas/validator.rs`).
 *
 * The error texts found there (the `{context}` is `Path: .a[0].b` or empty at the top level, so
 * a top-level mismatch has an empty second line, as in Convex):
 *
 * - `Value does not match validator.\n{context}\nValue: {value}\nValidator: {validator}`
 * - `` `{value}` does not match literal validator `v.literal({literal})`.{context} ``
 * - `` Object is missing the required field `{field}`. Consider wrapping the field validator in
 *   `v.optional(...)` if this is expected.\n{context}\nObject: {object}\nValidator: {validator} ``
 * - `` Object contains extra field `{field}` that is not in the validator.\n{context}\nObject:
 *   {object}\nValidator: {validator} ``
 * - `` Found ID "{id}" from table `{table}`, which does not match the table name in validator
 *   `v.id("{expected}")`.{context} `` (and `from a system table` for `_`-prefixed tables)
 *
 * Values print as `value-display.ts` renders them; validators as `v.float64()`, `v.int64()`,
 * `v.optional(...)`, `v.object({a: v.string()})`, `v.union(...)`, with literals in JSON and int64
 * literals as `<bigint>`. Callers add their own prefix (`ArgumentValidationError: `, `Failed to
 * insert or update a document in table "t" because it does not match the schema: `).
 *
 * Semantics: objects are exact (missing required fields and extra fields fail; `undefined`
 * fields count as missing); unions match if any member does (a one-member union reports its
 * member's error); literals compare as Convex values (type-exact); records check every key (as a
 * string, path `.keys()`) and value (path `.values()`); int64 never matches `number` nor float64
 * `bigint`; `commitTs` accepts an int64 or the commit-ts placeholder; `id` accepts a string that
 * decodes as an ID of the named table.
 */
import { compareValues, presentKeys } from "./compare.js";
import { decodeId } from "./id.js";
import { isSimpleObject, jsonToConvex } from "./json.js";
import { CommitTsPlaceholder } from "./value.js";
import type { JsonValue, ObjectValue, Value } from "./value.js";
import {
  debugString,
  displayFloat,
  displayValue,
  JSON_MIN_DECIMAL,
} from "./value-display.js";

/** A field of an object validator. */
export interface ObjectFieldJson {
  readonly fieldType: ValidatorJson;
  readonly optional: boolean;
}

/** What `v.*` validators export as `.json`. */
export type ValidatorJson =
  | { readonly type: "null" }
  | { readonly type: "number" }
  | { readonly type: "bigint" }
  | { readonly type: "commitTs" }
  | { readonly type: "boolean" }
  | { readonly type: "string" }
  | { readonly type: "bytes" }
  | { readonly type: "any" }
  | { readonly type: "literal"; readonly value: JsonValue }
  | { readonly type: "id"; readonly tableName: string }
  | { readonly type: "array"; readonly value: ValidatorJson }
  | {
      readonly type: "record";
      readonly keys: ValidatorJson;
      readonly values: ObjectFieldJson;
    }
  | {
      readonly type: "object";
      readonly value: { readonly [field: string]: ObjectFieldJson };
    }
  | { readonly type: "union"; readonly value: readonly ValidatorJson[] };

type ObjectValidatorJson = Extract<ValidatorJson, { type: "object" }>;
type LiteralValidatorJson = Extract<ValidatorJson, { type: "literal" }>;

/** How validation learns about tables, for `v.id(table)`. */
export interface ValidationContext {
  /** The number of the table with this name, if it exists. */
  tableNumberOf(tableName: string): number | undefined;
  /**
   * The name of the table with this number, if it exists. When given, an ID of another existing
   * table gets Convex's "Found ID … from table …" error instead of the generic mismatch.
   */
  tableNameOf?: ((tableNumber: number) => string | undefined) | undefined;
}

/**
 * Checks `value` (`undefined` meaning absent) against `validator`. Returns null when it matches,
 * otherwise Convex's error text for the first mismatch (see the module comment).
 */
export function validateValue(
  validator: ValidatorJson,
  value: Value | undefined,
  ctx: ValidationContext,
): string | null {
  path.length = 0;
  const result = check(validator, value, ctx, false);
  return result === QUIET_FAILURE ? null : result;
}

/** Returned instead of a message where the message would be discarded (inside unions). */
const QUIET_FAILURE = "";
const KEYS = Symbol("keys");
const VALUES = Symbol("values");
/** The path to the value being checked; validation is synchronous, so one stack suffices. */
const path: (string | number | typeof KEYS | typeof VALUES)[] = [];

function context(): string {
  if (path.length === 0) return "";
  let text = "Path: ";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (step === KEYS) text += ".keys()";
    else if (step === VALUES) text += ".values()";
    else text += `.${step}`;
  }
  return text;
}

function noMatch(
  validator: ValidatorJson,
  value: Value | undefined,
  quiet: boolean,
): string {
  if (quiet) return QUIET_FAILURE;
  return `Value does not match validator.\n${context()}\nValue: ${displayValue(value)}\nValidator: ${displayValidator(validator)}`;
}

/** Checks one value; returns null on a match, QUIET_FAILURE or a message otherwise. */
function check(
  validator: ValidatorJson,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  switch (validator.type) {
    case "any":
      return value === undefined ? noMatch(validator, value, quiet) : null;
    case "null":
      return value === null ? null : noMatch(validator, value, quiet);
    case "number":
      return typeof value === "number"
        ? null
        : noMatch(validator, value, quiet);
    case "bigint":
      return typeof value === "bigint"
        ? null
        : noMatch(validator, value, quiet);
    case "commitTs":
      return typeof value === "bigint" || value instanceof CommitTsPlaceholder
        ? null
        : noMatch(validator, value, quiet);
    case "boolean":
      return typeof value === "boolean"
        ? null
        : noMatch(validator, value, quiet);
    case "string":
      return typeof value === "string"
        ? null
        : noMatch(validator, value, quiet);
    case "bytes":
      return value instanceof ArrayBuffer
        ? null
        : noMatch(validator, value, quiet);
    case "literal":
      return checkLiteral(validator, value, quiet);
    case "id":
      return checkId(validator, value, ctx, quiet);
    case "array":
      return checkArray(validator, value, ctx, quiet);
    case "record":
      return checkRecord(validator, value, ctx, quiet);
    case "object":
      return checkObject(validator, value, ctx, quiet);
    case "union":
      return checkUnion(validator, value, ctx, quiet);
    default:
      return validator satisfies never;
  }
}

function checkLiteral(
  validator: LiteralValidatorJson,
  value: Value | undefined,
  quiet: boolean,
): string | null {
  if (
    value !== undefined &&
    compareValues(value, literalValue(validator)) === 0
  )
    return null;
  if (quiet) return QUIET_FAILURE;
  return `\`${displayValue(value)}\` does not match literal validator \`v.literal(${displayLiteral(validator)})\`.${context()}`;
}

function checkId(
  validator: Extract<ValidatorJson, { type: "id" }>,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  const decoded = typeof value === "string" ? decodeId(value) : null;
  if (decoded === null) return noMatch(validator, value, quiet);
  if (ctx.tableNumberOf(validator.tableName) === decoded.tableNumber)
    return null;
  const found = ctx.tableNameOf?.(decoded.tableNumber);
  if (found === undefined || quiet) return noMatch(validator, value, quiet);
  const expected = `\`v.id(${JSON.stringify(validator.tableName)})\``;
  if (found.startsWith("_")) {
    return `Found ID "${value as string}" from a system table, which does not match the table name in validator ${expected}.${context()}`;
  }
  return `Found ID "${value as string}" from table \`${found}\`, which does not match the table name in validator ${expected}.${context()}`;
}

function checkArray(
  validator: Extract<ValidatorJson, { type: "array" }>,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  if (!Array.isArray(value)) return noMatch(validator, value, quiet);
  for (let i = 0; i < value.length; i++) {
    path.push(i);
    const error = check(validator.value, value[i], ctx, quiet);
    path.pop();
    if (error !== null) return error;
  }
  return null;
}

function isObjectValue(value: Value | undefined): value is ObjectValue {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    isSimpleObject(value)
  );
}

function checkRecord(
  validator: Extract<ValidatorJson, { type: "record" }>,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  if (!isObjectValue(value)) return noMatch(validator, value, quiet);
  for (const key of presentKeys(value)) {
    path.push(KEYS);
    let error = check(validator.keys, key, ctx, quiet);
    path.pop();
    if (error !== null) return error;
    path.push(VALUES);
    error = check(validator.values.fieldType, value[key], ctx, quiet);
    path.pop();
    if (error !== null) return error;
  }
  return null;
}

function checkObject(
  validator: ObjectValidatorJson,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  if (!isObjectValue(value)) return noMatch(validator, value, quiet);
  const fields = validator.value;
  let matched = 0;
  for (const name of sortedFieldNames(validator)) {
    const field = fields[name]!;
    const fieldValue = Object.hasOwn(value, name) ? value[name] : undefined;
    if (fieldValue !== undefined) matched++;
    if (fieldValue === undefined) {
      if (field.optional) continue;
      if (quiet) return QUIET_FAILURE;
      return `Object is missing the required field \`${name}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.\n${context()}\nObject: ${displayValue(value)}\nValidator: ${displayValidator(validator)}`;
    }
    path.push(name);
    const error = check(field.fieldType, fieldValue, ctx, quiet);
    path.pop();
    if (error !== null) return error;
  }
  // Every matched field is present in the value, so equal counts mean no extra fields.
  if (countPresentFields(value) === matched) return null;
  for (const name of presentKeys(value)) {
    if (Object.hasOwn(fields, name)) continue;
    if (quiet) return QUIET_FAILURE;
    return `Object contains extra field \`${name}\` that is not in the validator.\n${context()}\nObject: ${displayValue(value)}\nValidator: ${displayValidator(validator)}`;
  }
  return null;
}

function countPresentFields(value: ObjectValue): number {
  let count = 0;
  for (const key in value) if (value[key] !== undefined) count++;
  return count;
}

function checkUnion(
  validator: Extract<ValidatorJson, { type: "union" }>,
  value: Value | undefined,
  ctx: ValidationContext,
  quiet: boolean,
): string | null {
  const members = validator.value;
  if (members.length === 1) return check(members[0]!, value, ctx, quiet);
  for (const member of members) {
    if (check(member, value, ctx, true) === null) return null;
  }
  return noMatch(validator, value, quiet);
}

/** Field names of object validators, sorted once (Convex checks fields in name order). */
const sortedFields = new WeakMap<ObjectValidatorJson, string[]>();

function sortedFieldNames(validator: ObjectValidatorJson): string[] {
  let names = sortedFields.get(validator);
  if (names === undefined) {
    names = Object.keys(validator.value).sort();
    sortedFields.set(validator, names);
  }
  return names;
}

/** Decoded literal values, decoded once per validator. */
const literalValues = new WeakMap<LiteralValidatorJson, Value>();

function literalValue(validator: LiteralValidatorJson): Value {
  let value = literalValues.get(validator);
  if (value === undefined) {
    value = jsonToConvex(validator.value);
    literalValues.set(validator, value);
  }
  return value;
}

function displayLiteral(validator: LiteralValidatorJson): string {
  const value = literalValue(validator);
  switch (typeof value) {
    case "bigint":
      return "<bigint>";
    case "number":
      return Number.isFinite(value)
        ? displayFloat(value, JSON_MIN_DECIMAL)
        : "<number>";
    default:
      return JSON.stringify(value);
  }
}

/** A validator as Convex prints it: `v.string()`, `v.object({a: v.optional(v.float64())})`, … */
export function displayValidator(validator: ValidatorJson): string {
  switch (validator.type) {
    case "null":
    case "boolean":
    case "string":
    case "bytes":
    case "any":
    case "commitTs":
      return `v.${validator.type}()`;
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "literal":
      return `v.literal(${displayLiteral(validator)})`;
    case "id":
      return `v.id(${debugString(validator.tableName)})`;
    case "array":
      return `v.array(${displayValidator(validator.value)})`;
    case "record":
      return `v.record(${displayValidator(validator.keys)}, ${displayValidator(validator.values.fieldType)})`;
    case "object":
      return `v.object({${sortedFieldNames(validator)
        .map((name) => `${name}: ${displayField(validator.value[name]!)}`)
        .join(", ")}})`;
    case "union":
      return `v.union(${validator.value.map(displayValidator).join(", ")})`;
    default:
      return validator satisfies never;
  }
}

function displayField(field: ObjectFieldJson): string {
  const inner = displayValidator(field.fieldType);
  return field.optional ? `v.optional(${inner})` : inner;
}

export { parseValidatorJson } from "./validator-json.js";
