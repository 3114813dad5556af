/**
 * Compiles the range expressions of `withIndex(name, q => …)` into one byte interval of the index,
 * with Convex's rules and error messages (convex-backend `IndexRange::compile` and `split` in
 * `crates/common/src/query.rs`):
 *
 * 1. while reading the expressions in order: a second `Eq` on a field, a second lower or upper
 *    bound → `AlreadyDefinedBound`; bounds on two different fields → `BoundsOnMultipleFields`;
 *    then a field with both an `Eq` and a bound → `AlreadyDefinedBound` ("inequality");
 * 2. every field must be one of the index's fields (including `_creationTime` and `_id`) →
 *    `FieldNotInIndex` (the `Eq` fields are checked in path order, then the bound's field);
 * 3. the `Eq` fields, sorted by index position, followed by the bound's field must be exactly a
 *    prefix of the index fields → `InvalidIndexRange`, naming the first field out of place.
 *
 * Every error is a `BackendError` BadRequest whose `shortMsg` is the tag above.
 */
import type { BackendError } from "../../errors/backend-error.js";
import { badRequest } from "../../errors/backend-error.js";
import type { KeyInterval } from "../../storage/persistence.js";
import {
  compareKeys,
  encodeIndexKey,
  prefixSuccessor,
} from "../../values/index-key.js";
import type { Value } from "../../values/value.js";
import {
  formatFieldPath,
  parseFieldPath,
  quoteFieldPath,
  type FieldPath,
} from "./field-path.js";
import type { RangeComparison, RangeExpression } from "./query-plan.js";
import { displayValue } from "../../values/value-display.js";

/** One side of the bound on the field after the `Eq` prefix. */
interface Bound {
  readonly value: Value | undefined;
  readonly inclusive: boolean;
}

interface SplitRange {
  /** Keyed by the dotted path. */
  readonly equalities: ReadonlyMap<
    string,
    { path: FieldPath; value: Value | undefined }
  >;
  readonly inequality: {
    readonly path: FieldPath;
    readonly lower: Bound | null;
    readonly upper: Bound | null;
  } | null;
}

const INDEX_DOCS = "https://docs.convex.dev/using/indexes";

/**
 * The key interval of `index` selected by `range`.
 *
 * @param indexName the printable name, `table.index`, used in messages.
 * @param fields every field of the index key in order, ending with `_creationTime` (user and
 *   creation-time indexes) and `_id`, as `ResolvedIndex.fields` lists them.
 * @returns a half-open interval; an empty range (`start >= end`) is possible, e.g. `gt(5).lt(3)`.
 * @throws BackendError BadRequest as described in the module comment.
 */
export function compileIndexRange(
  indexName: string,
  fields: readonly string[],
  range: readonly RangeExpression[],
): KeyInterval {
  const split = splitRange(indexName, range);
  const indexPaths = fields.map(parseFieldPath);
  const rank = new Map(indexPaths.map((path, i) => [formatFieldPath(path), i]));

  const equalities = [...split.equalities.values()].sort((a, b) =>
    comparePaths(a.path, b.path),
  );
  for (const { path } of equalities) {
    if (!rank.has(formatFieldPath(path)))
      throw fieldNotInIndex(indexName, path, indexPaths);
  }
  if (split.inequality && !rank.has(formatFieldPath(split.inequality.path))) {
    throw fieldNotInIndex(indexName, split.inequality.path, indexPaths);
  }
  const rankOf = (path: FieldPath) => rank.get(formatFieldPath(path)) ?? -1;
  equalities.sort((a, b) => rankOf(a.path) - rankOf(b.path));

  const usedPaths = equalities.map((e) => e.path);
  if (split.inequality) usedPaths.push(split.inequality.path);
  usedPaths.forEach((path, i) => {
    const expected = indexPaths[i];
    if (
      expected === undefined ||
      formatFieldPath(expected) !== formatFieldPath(path)
    ) {
      throw invalidIndexRange(indexName, indexPaths, usedPaths, path);
    }
  });

  return toInterval(
    equalities.map((e) => e.value),
    split.inequality?.lower ?? null,
    split.inequality?.upper ?? null,
  );
}

/** True when no key can lie in `interval`. */
export function isEmptyInterval(interval: KeyInterval): boolean {
  return (
    interval.end !== null && compareKeys(interval.start, interval.end) >= 0
  );
}

function splitRange(
  indexName: string,
  range: readonly RangeExpression[],
): SplitRange {
  const equalities = new Map<
    string,
    { path: FieldPath; value: Value | undefined }
  >();
  let inequalityPath: FieldPath | null = null;
  let lower: Bound | null = null;
  let upper: Bound | null = null;
  for (const expr of range) {
    const key = formatFieldPath(expr.fieldPath);
    if (expr.type === "Eq") {
      const previous = equalities.get(key);
      if (previous)
        throw alreadyDefinedBound(
          "equality",
          expr.fieldPath,
          "==",
          previous.value,
        );
      equalities.set(key, { path: expr.fieldPath, value: expr.value });
      continue;
    }
    const isUpper = expr.type === "Lt" || expr.type === "Lte";
    if (isUpper ? upper : lower) {
      throw alreadyDefinedBound(
        isUpper ? "upper" : "lower",
        expr.fieldPath,
        COMPARATOR[expr.type],
        expr.value,
      );
    }
    if (inequalityPath && formatFieldPath(inequalityPath) !== key) {
      throw boundsOnMultipleFields(indexName, inequalityPath, expr.fieldPath);
    }
    inequalityPath = expr.fieldPath;
    const bound = {
      value: expr.value,
      inclusive: expr.type === "Gte" || expr.type === "Lte",
    };
    if (isUpper) upper = bound;
    else lower = bound;
  }
  if (inequalityPath) {
    const equality = equalities.get(formatFieldPath(inequalityPath));
    if (equality)
      throw alreadyDefinedBound(
        "inequality",
        inequalityPath,
        "==",
        equality.value,
      );
  }
  return {
    equalities,
    inequality: inequalityPath ? { path: inequalityPath, lower, upper } : null,
  };
}

/**
 * Byte bounds: `Gte v` starts at the key of `[...prefix, v]`, `Gt v` after every key starting
 * with it; `Lt v` ends before it, `Lte v` after every key starting with it; a missing bound
 * spans every key starting with the prefix.
 */
function toInterval(
  prefix: readonly (Value | undefined)[],
  lower: Bound | null,
  upper: Bound | null,
): KeyInterval {
  const prefixKey = encodeIndexKey(prefix);
  const boundKey = (bound: Bound) => encodeIndexKey([...prefix, bound.value]);
  let start = prefixKey;
  if (lower) {
    const key = boundKey(lower);
    const after = lower.inclusive ? key : prefixSuccessor(key);
    // No key sorts after every extension of `key`: the range is empty.
    if (after === null) return { start: key, end: key };
    start = after;
  }
  let end = prefixSuccessor(prefixKey);
  if (upper) {
    const key = boundKey(upper);
    end = upper.inclusive ? prefixSuccessor(key) : key;
  }
  return { start, end };
}

const COMPARATOR: Readonly<Record<Exclude<RangeComparison, "Eq">, string>> = {
  Gt: ">",
  Gte: ">=",
  Lt: "<",
  Lte: "<=",
};

/** Convex orders field paths element by element (a `Vec` of names), shorter first. */
function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Index fields as Convex lists them in messages: without the implicit trailing `_id`. */
function displayIndexFields(indexPaths: readonly FieldPath[]): string {
  const shown = indexPaths.filter(
    (path, i) => !(i === indexPaths.length - 1 && path.join(".") === "_id"),
  );
  return displayPaths(shown);
}

function displayPaths(paths: readonly FieldPath[]): string {
  return `[${paths.map(quoteFieldPath).join(", ")}]`;
}

function alreadyDefinedBound(
  boundType: string,
  path: FieldPath,
  comparator: string,
  value: Value | undefined,
): BackendError {
  return badRequest(
    "AlreadyDefinedBound",
    `Already defined ${boundType} bound in index range. Can't add ${quoteFieldPath(path)} ` +
      `${comparator} ${displayValue(value)}.`,
  );
}

function boundsOnMultipleFields(
  indexName: string,
  first: FieldPath,
  second: FieldPath,
) {
  return badRequest(
    "BoundsOnMultipleFields",
    "Upper and lower bounds in `range` can only be applied to a single index field. This query " +
      `against index ${indexName} attempted to set a range bound on both ` +
      `${quoteFieldPath(first)} and ${quoteFieldPath(second)}. Consider using \`filter\` ` +
      `instead. See ${INDEX_DOCS} for more info.`,
  );
}

function invalidIndexRange(
  indexName: string,
  indexPaths: readonly FieldPath[],
  usedPaths: readonly FieldPath[],
  path: FieldPath,
): BackendError {
  return badRequest(
    "InvalidIndexRange",
    `Tried to query index ${indexName} but the query didn't use the index fields in order.\n` +
      `Index fields: ${displayIndexFields(indexPaths)}\n` +
      `Query fields: ${displayPaths(usedPaths)}\n` +
      `First incorrect field: ${quoteFieldPath(path)}\n` +
      `For more information see ${INDEX_DOCS}.`,
  );
}

function fieldNotInIndex(
  indexName: string,
  path: FieldPath,
  indexPaths: readonly FieldPath[],
) {
  return badRequest(
    "FieldNotInIndex",
    `The index range included a comparison with ${quoteFieldPath(path)}, but ${indexName} with ` +
      `fields ${displayIndexFields(indexPaths)} doesn't index this field. For more information ` +
      `see ${INDEX_DOCS}.`,
  );
}
