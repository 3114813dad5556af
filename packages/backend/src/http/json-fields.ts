import { BackendError } from "../errors/backend-error.js";
import type { JsonValue } from "../values/value.js";

/** A parsed JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/*
 * Reading fields of untrusted JSON bodies. Each function throws `BackendError(BadRequest,
 * "InvalidRequest")` naming the field, what was expected and what was received.
 */

/** `value` as an object; `what` names it in the error ("request body"). */
export function expectObject(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(
      `Expected ${what} to be a JSON object, received ${describe(value)}.`,
    );
  }
  return value as JsonObject;
}

/** A required string field. */
export function stringField(object: JsonObject, name: string): string {
  const value = object[name];
  if (typeof value !== "string") {
    throw invalid(
      `Expected field "${name}" to be a string, received ${describe(value)}.`,
    );
  }
  return value;
}

/** An optional string field (absent or null → undefined). */
export function optionalStringField(
  object: JsonObject,
  name: string,
): string | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  return stringField(object, name);
}

/** An optional boolean field (absent or null → `fallback`). */
export function booleanField(
  object: JsonObject,
  name: string,
  fallback: boolean,
): boolean {
  const value = object[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw invalid(
      `Expected field "${name}" to be a boolean, received ${describe(value)}.`,
    );
  }
  return value;
}

/** A required array field. */
export function arrayField(
  object: JsonObject,
  name: string,
): readonly JsonValue[] {
  const value = object[name];
  if (!Array.isArray(value)) {
    throw invalid(
      `Expected field "${name}" to be an array, received ${describe(value)}.`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a value of type ${typeof value}`;
}

function invalid(message: string): BackendError {
  return new BackendError("BadRequest", "InvalidRequest", message);
}
