/**
 * Parsing untrusted validator JSON (from a pushed schema or a function's `exportArgs()`) into a
 * `ValidatorJson`, refusing anything `v.*` could not have produced.
 */
import { BackendError } from "../errors/backend-error.js";
import { jsonToConvex } from "./json.js";
import type { JsonValue } from "./value.js";
import type { ValidatorJson } from "./validator.js";

const SIMPLE_TYPES = new Set([
  "null",
  "number",
  "bigint",
  "commitTs",
  "boolean",
  "string",
  "bytes",
  "any",
]);

function invalid(where: string, problem: string): BackendError {
  return new BackendError(
    "BadRequest",
    "InvalidValidator",
    `Invalid validator${where === "" ? "" : ` at ${where}`}: ${problem}`,
  );
}

function invalidRecord(where: string, problem: string): BackendError {
  return new BackendError(
    "BadRequest",
    "InvalidRecordType",
    `Invalid record validator${where === "" ? "" : ` at ${where}`}: ${problem}`,
  );
}

function isRecord(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/**
 * Checks that `json` is validator JSON as `v.*` produces it and returns it typed (the same
 * object, not a copy).
 *
 * @throws BackendError (BadRequest, `InvalidValidator`) for an unknown `type`, a missing or
 *   malformed member, or a literal that is not a string, number, boolean or int64;
 *   (`InvalidRecordType`) for record keys other than strings, IDs, string literals or unions of
 *   those, or optional record values.
 */
export function parseValidatorJson(json: unknown): ValidatorJson {
  checkValidator(json, "");
  return json as ValidatorJson;
}

function checkValidator(json: unknown, where: string): void {
  if (!isRecord(json) || typeof json["type"] !== "string") {
    throw invalid(where, "expected an object with a string `type`");
  }
  const type = json["type"];
  if (SIMPLE_TYPES.has(type)) return;
  switch (type) {
    case "literal":
      return checkLiteral(json["value"], where);
    case "id":
      if (typeof json["tableName"] !== "string")
        throw invalid(where, "`tableName` must be a string");
      return;
    case "array":
      return checkValidator(json["value"], `${where}[]`);
    case "object":
      return checkObjectFields(json["value"], where);
    case "record":
      return checkRecord(json, where);
    case "union":
      return checkUnion(json["value"], where);
    default:
      throw invalid(where, `unknown validator type ${JSON.stringify(type)}`);
  }
}

function checkLiteral(value: unknown, where: string): void {
  let decoded: unknown;
  try {
    decoded = jsonToConvex(value as JsonValue);
  } catch (e) {
    throw invalid(
      where,
      `malformed literal value (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const kind = typeof decoded;
  if (
    kind !== "string" &&
    kind !== "number" &&
    kind !== "boolean" &&
    kind !== "bigint"
  ) {
    throw invalid(
      where,
      "a literal must be a string, number, boolean or bigint",
    );
  }
}

function checkField(field: unknown, where: string): void {
  if (!isRecord(field) || typeof field["optional"] !== "boolean") {
    throw invalid(where, "expected a field `{fieldType, optional}`");
  }
  checkValidator(field["fieldType"], where);
}

function checkObjectFields(fields: unknown, where: string): void {
  if (!isRecord(fields))
    throw invalid(where, "an object validator's `value` must be an object");
  for (const name of Object.keys(fields))
    checkField(fields[name], `${where}.${name}`);
}

function checkUnion(members: unknown, where: string): void {
  if (!Array.isArray(members))
    throw invalid(where, "a union's `value` must be an array");
  members.forEach((member, i) => checkValidator(member, `${where}|${i}`));
}

function checkRecord(json: Record<string, unknown>, where: string): void {
  checkValidator(json["keys"], `${where}.keys()`);
  if (!isRecordKey(json["keys"] as ValidatorJson)) {
    throw invalidRecord(
      where,
      "keys must be v.string(), v.id(...), string literals or a union of them",
    );
  }
  const values = json["values"];
  checkField(values, `${where}.values()`);
  if ((values as { optional: boolean }).optional) {
    throw invalidRecord(where, "values cannot be optional");
  }
}

function isRecordKey(keys: ValidatorJson): boolean {
  switch (keys.type) {
    case "string":
    case "id":
      return true;
    case "literal":
      return typeof keys.value === "string";
    case "union":
      return keys.value.every(isRecordKey);
    default:
      return false;
  }
}
