import { describe, expect, test } from "vitest";
import type { KeyInterval } from "../../storage/persistence.js";
import { compareKeys } from "../../values/index-key.js";
import type { Document, Value } from "../../values/value.js";
import { documentKey, indexFields } from "./array-index-reader.test-support.js";
import { parseFieldPath } from "./field-path.js";
import { compileIndexRange, isEmptyInterval } from "./index-range.js";
import type { RangeComparison, RangeExpression } from "./query-plan.js";

const FIELDS = indexFields(["a", "b"]);
const NAME = "items.by_a_b";

function r(
  type: RangeComparison,
  path: string,
  value: Value | undefined,
): RangeExpression {
  return { type, fieldPath: parseFieldPath(path), value };
}

function compile(...range: RangeExpression[]): KeyInterval {
  return compileIndexRange(NAME, FIELDS, range);
}

function errorOf(...range: RangeExpression[]): {
  shortMsg: string;
  message: string;
} {
  try {
    compile(...range);
  } catch (e) {
    return e as { shortMsg: string; message: string };
  }
  throw new Error("expected an error");
}

const docs: Document[] = [];
const values: (Value | undefined)[] = [
  undefined,
  null,
  1n,
  2n,
  3n,
  1,
  2.5,
  "x",
  "y",
];
values.forEach((a, i) => {
  values.forEach((b, j) => {
    const doc: Document = { _id: `id${i}_${j}`, _creationTime: i * 100 + j };
    if (a !== undefined) doc["a"] = a;
    if (b !== undefined) doc["b"] = b;
    docs.push(doc);
  });
});

function selected(interval: KeyInterval): string[] {
  return docs
    .filter((doc) => {
      const key = documentKey(doc, FIELDS);
      return (
        compareKeys(key, interval.start) >= 0 &&
        (interval.end === null || compareKeys(key, interval.end) < 0)
      );
    })
    .map((doc) => doc._id);
}

function where(predicate: (doc: Document) => boolean): string[] {
  return docs.filter(predicate).map((doc) => doc._id);
}

describe("compileIndexRange", () => {
  test("an empty range covers the whole index", () => {
    expect(selected(compile())).toEqual(docs.map((d) => d._id));
  });

  test("Eq on a prefix selects exactly the equal documents, in any order of expressions", () => {
    expect(selected(compile(r("Eq", "a", 2n)))).toEqual(
      where((d) => d["a"] === 2n),
    );
    const both = where((d) => d["a"] === 2n && d["b"] === "x");
    expect(selected(compile(r("Eq", "a", 2n), r("Eq", "b", "x")))).toEqual(
      both,
    );
    expect(selected(compile(r("Eq", "b", "x"), r("Eq", "a", 2n)))).toEqual(
      both,
    );
  });

  test("Eq undefined selects documents missing the field, distinct from null", () => {
    expect(selected(compile(r("Eq", "a", undefined)))).toEqual(
      where((d) => !("a" in d)),
    );
    expect(selected(compile(r("Eq", "a", null)))).toEqual(
      where((d) => d["a"] === null),
    );
  });

  test("bounds follow the total order across types", () => {
    const gt = selected(compile(r("Gt", "a", 2n)));
    expect(gt).toEqual(
      where((d) => [3n, 1, 2.5, "x", "y"].includes(d["a"] as never)),
    );
    const range = selected(compile(r("Gte", "a", 2n), r("Lt", "a", 2.5)));
    expect(range).toEqual(where((d) => [2n, 3n, 1].includes(d["a"] as never)));
    const lte = selected(compile(r("Lte", "a", null)));
    expect(lte).toEqual(where((d) => d["a"] === undefined || d["a"] === null));
  });

  test("a bound after an Eq prefix applies to the next field", () => {
    const ids = selected(
      compile(r("Eq", "a", "x"), r("Gt", "b", 1n), r("Lte", "b", 2.5)),
    );
    expect(ids).toEqual(
      where(
        (d) => d["a"] === "x" && [2n, 3n, 1, 2.5].includes(d["b"] as never),
      ),
    );
  });

  test("Eq may run through _creationTime and _id", () => {
    const doc = docs[5] as Document;
    const interval = compile(
      r("Eq", "a", doc["a"]),
      r("Eq", "b", doc["b"]),
      r("Eq", "_creationTime", doc._creationTime),
      r("Eq", "_id", doc._id),
    );
    expect(selected(interval)).toEqual([doc._id]);
  });

  test("contradictory bounds give an empty interval", () => {
    expect(isEmptyInterval(compile(r("Gt", "a", 3n), r("Lt", "a", 1n)))).toBe(
      true,
    );
    expect(selected(compile(r("Gt", "a", 3n), r("Lt", "a", 1n)))).toEqual([]);
  });

  test("reports a second Eq on one field as AlreadyDefinedBound", () => {
    expect(errorOf(r("Eq", "a", 1n), r("Eq", "a", "two"))).toEqual(
      expect.objectContaining({
        shortMsg: "AlreadyDefinedBound",
        message: `Already defined equality bound in index range. Can't add "a" == 1.`,
      }),
    );
  });

  test("reports a second lower or upper bound as AlreadyDefinedBound", () => {
    expect(errorOf(r("Gt", "a", 1n), r("Gte", "a", 2.5)).message).toBe(
      `Already defined lower bound in index range. Can't add "a" >= 2.5.`,
    );
    expect(errorOf(r("Lt", "a", 1n), r("Lte", "a", undefined)).message).toBe(
      `Already defined upper bound in index range. Can't add "a" <= undefined.`,
    );
  });

  test("reports a bound on a field that also has an Eq as AlreadyDefinedBound", () => {
    expect(errorOf(r("Gt", "a", 1n), r("Eq", "a", "x")).message).toBe(
      `Already defined inequality bound in index range. Can't add "a" == "x".`,
    );
  });

  test("reports bounds on two fields as BoundsOnMultipleFields", () => {
    const error = errorOf(r("Gt", "a", 1n), r("Lt", "b", 2n));
    expect(error.shortMsg).toBe("BoundsOnMultipleFields");
    expect(error.message).toBe(
      "Upper and lower bounds in `range` can only be applied to a single index field. This " +
        `query against index ${NAME} attempted to set a range bound on both "a" and "b". ` +
        "Consider using `filter` instead. See https://docs.convex.dev/using/indexes for more info.",
    );
  });

  test("reports a field outside the index as FieldNotInIndex", () => {
    const error = errorOf(r("Eq", "a", 1n), r("Eq", "c.d", 1n));
    expect(error.shortMsg).toBe("FieldNotInIndex");
    expect(error.message).toBe(
      `The index range included a comparison with "c.d", but ${NAME} with fields ` +
        `["a", "b", "_creationTime"] doesn't index this field. For more information see ` +
        "https://docs.convex.dev/using/indexes.",
    );
    expect(errorOf(r("Gt", "zzz", 1n)).shortMsg).toBe("FieldNotInIndex");
  });

  test("reports fields out of index order as InvalidIndexRange", () => {
    const error = errorOf(r("Eq", "b", 1n));
    expect(error.shortMsg).toBe("InvalidIndexRange");
    expect(error.message).toBe(
      `Tried to query index ${NAME} but the query didn't use the index fields in order.\n` +
        `Index fields: ["a", "b", "_creationTime"]\n` +
        `Query fields: ["b"]\n` +
        `First incorrect field: "b"\n` +
        "For more information see https://docs.convex.dev/using/indexes.",
    );
    expect(
      errorOf(r("Eq", "a", 1n), r("Gt", "_creationTime", 1)).message,
    ).toContain(
      'Query fields: ["a", "_creationTime"]\nFirst incorrect field: "_creationTime"',
    );
  });

  test("checks the split rules before the index fields", () => {
    expect(errorOf(r("Eq", "zzz", 1n), r("Eq", "zzz", 2n)).shortMsg).toBe(
      "AlreadyDefinedBound",
    );
    expect(errorOf(r("Gt", "zzz", 1n), r("Gt", "yyy", 1n)).shortMsg).toBe(
      "AlreadyDefinedBound",
    );
    expect(errorOf(r("Gt", "zzz", 1n), r("Lt", "yyy", 1n)).shortMsg).toBe(
      "BoundsOnMultipleFields",
    );
  });

  test("lists by_id and by_creation_time fields as Convex does", () => {
    const error = (() => {
      try {
        compileIndexRange("items.by_creation_time", indexFields([]), [
          r("Eq", "a", 1n),
        ]);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected an error");
    })();
    expect(error.message).toContain('with fields ["_creationTime"]');
    expect(() =>
      compileIndexRange("items.by_id", ["_id"], [r("Eq", "_id", "x")]),
    ).not.toThrow();
  });
});
