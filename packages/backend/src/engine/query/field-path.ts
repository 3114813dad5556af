/**
 * Field paths as queries spell them: dot-separated field names (`"author.name"`), used by index
 * range expressions, filter `$field` nodes and index definitions.
 */
import { badRequest } from "../../errors/backend-error.js";
import { CommitTsPlaceholder, type Value } from "../../values/value.js";

/** A parsed field path: one or more field names, outermost first. */
export type FieldPath = readonly string[];

/**
 * Each element of a path must be an identifier, as in convex-backend's `IdentifierFieldName`:
 * a letter or underscore, then letters, digits or underscores, at most 64 characters.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Parses a dotted path. Leading and trailing dots are ignored (as Convex does); every element
 * must be an identifier.
 *
 * @throws BackendError BadRequest `InvalidFieldPath` for an empty path or a bad element.
 */
export function parseFieldPath(path: string): FieldPath {
  const trimmed = path.replace(/^\.+|\.+$/g, "");
  if (trimmed === "") {
    throw badRequest(
      "InvalidFieldPath",
      `Empty field path ${JSON.stringify(path)}.`,
    );
  }
  const fields = trimmed.split(".");
  for (const field of fields) {
    if (!IDENTIFIER.test(field)) {
      throw badRequest(
        "InvalidFieldPath",
        `Invalid field path ${JSON.stringify(path)}: ${JSON.stringify(field)} is not a valid ` +
          "identifier (a letter or underscore followed by letters, digits or underscores, at " +
          "most 64 characters).",
      );
    }
  }
  return fields;
}

/** The canonical dotted spelling of a path (`["a", "b"]` → `a.b`). */
export function formatFieldPath(path: FieldPath): string {
  return path.join(".");
}

/** The path as convex-backend prints it in messages: dotted and double-quoted (`"a.b"`). */
export function quoteFieldPath(path: FieldPath): string {
  return `"${formatFieldPath(path)}"`;
}

/**
 * The value at `path` inside `object`, or `undefined` when a field along the way is missing or
 * is not an object (Convex's `get_path`: paths only traverse objects, never arrays).
 */
export function getFieldValue(
  object: { readonly [key: string]: Value | undefined },
  path: FieldPath,
): Value | undefined {
  let current: Value | undefined = object;
  for (const field of path) {
    if (!isPlainObjectValue(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, field)) return undefined;
    current = current[field];
  }
  return current;
}

function isPlainObjectValue(
  value: Value | undefined,
): value is { [key: string]: Value | undefined } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    !(value instanceof CommitTsPlaceholder)
  );
}
