import { encodeBase64 } from "../values/base64.js";
import { jsonToConvex } from "../values/json.js";
import type { JsonValue, Value } from "../values/value.js";

/*
 * The `format: "json"` of the HTTP function API ("clean" JSON, what HTTP callers such as
 * `@mastra/convex` send): arguments are plain JSON, read as they are; results are exported with
 * overlapping representations: int64 as a base-10 string, NaN and ±Infinity as strings, bytes as
 * a base64 string. Values that are plain JSON already come out unchanged.
 */

/** The `format` value of clean JSON on `/api/query|mutation|action|function`. */
export const CLEAN_JSON = "json";

/** Converts a convex-encoded JSON result to clean JSON. */
export function encodedToCleanJson(encoded: JsonValue): JsonValue {
  return exportValue(jsonToConvex(encoded));
}

function exportValue(value: Value): JsonValue {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "string":
    case "boolean":
      return value;
    default:
      return exportObjectLike(value);
  }
}

function exportObjectLike(value: Value): JsonValue {
  if (value === null) return null;
  if (value instanceof ArrayBuffer) return encodeBase64(new Uint8Array(value));
  if (Array.isArray(value)) return value.map(exportValue);
  const out: Record<string, JsonValue> = {};
  for (const [key, field] of Object.entries(value as Record<string, Value>)) {
    if (field !== undefined) out[key] = exportValue(field);
  }
  return out;
}
