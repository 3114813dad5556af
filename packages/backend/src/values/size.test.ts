import fc from "fast-check";
import {
  getConvexSize,
  getDocumentSize as officialDocumentSize,
} from "convex/values";
import type { Value as OfficialValue } from "convex/values";
import { describe, expect, test } from "vitest";
import { BackendError } from "../errors/backend-error.js";
import {
  formatBinarySize,
  getDocumentSize,
  getValueSize,
  MAX_DOCUMENT_BYTES,
  validateDocumentShape,
  validateFieldName,
  validateIdentifier,
} from "./size.js";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import type { ObjectValue, Value } from "./value.js";
import {
  fieldNameArb,
  makeValueArb,
  wellFormedStringArb,
} from "./value-arbitraries.test-support.js";

const valueArb = makeValueArb(wellFormedStringArb);
const documentArb = fc.dictionary(fieldNameArb, valueArb, { maxKeys: 5 });

/** Runs `fn` and returns the BackendError it throws, or null. */
function thrown(fn: () => void): BackendError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof BackendError) return e;
    throw e;
  }
}

/** `depth` nested arrays around null: nesting `depth`. */
function nested(depth: number): Value {
  let value: Value = null;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("getValueSize", () => {
  test("equals the package's getConvexSize for any value", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        expect(getValueSize(value)).toBe(getConvexSize(value as OfficialValue));
      }),
      { numRuns: 300 },
    );
  });

  test("counts strings by UTF-8 bytes, long ones too", () => {
    expect(getValueSize("é\u{1f600}")).toBe(2 + 2 + 4);
    const long = "é".repeat(1000);
    expect(getValueSize(long)).toBe(getConvexSize(long));
  });

  test("counts the commit-ts placeholder like an int64 and undefined as nothing", () => {
    expect(getValueSize(COMMIT_TS_PLACEHOLDER)).toBe(9);
    expect(getValueSize(undefined)).toBe(0);
    expect(getValueSize({ a: undefined })).toBe(2);
  });
});

describe("getDocumentSize", () => {
  test("equals the package's getDocumentSize, with and without system fields", () => {
    const withSystem = documentArb.map((doc) => ({
      ...doc,
      _id: "jd7746s4q8nf1qz7mm12sctdch823n4y",
      _creationTime: 1771628612925.5,
    }));
    fc.assert(
      fc.property(fc.oneof(documentArb, withSystem), (doc) => {
        expect(getDocumentSize(doc)).toBe(
          officialDocumentSize(doc as Record<string, OfficialValue>),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("validateDocumentShape", () => {
  test("accepts documents within every limit", () => {
    expect(() =>
      validateDocumentShape({
        _id: "x",
        _creationTime: 1,
        a: nested(15),
        b: new Array<Value>(8192).fill(null),
        "": "empty names are fine",
        nested: { _ok: "underscores are fine below the top level" },
      }),
    ).not.toThrow();
  });

  test("refuses documents over 1 MiB", () => {
    const error = thrown(() =>
      validateDocumentShape({ big: "x".repeat(MAX_DOCUMENT_BYTES) }),
    );
    expect(error?.code).toBe("BadRequest");
    expect(error?.shortMsg).toBe("ValueTooLargeError");
    expect(error?.message).toBe(
      "Value is too large (1 MiB > maximum size 1 MiB)",
    );
  });

  test("refuses nesting over 16", () => {
    const error = thrown(() => validateDocumentShape({ a: nested(16) }));
    expect(error?.shortMsg).toBe("InvalidDocumentError");
    expect(error?.message).toMatch(
      /^Document\(value: \{a: \[\[.*\]\]\}\) isn't a valid document: Document is too nested \(nested 17 levels deep > maximum nesting 16\)$/,
    );
  });

  test("refuses values nested beyond 64 before walking further", () => {
    const error = thrown(() => validateDocumentShape({ a: nested(100_000) }));
    expect(error?.shortMsg).toBe("TooNestedError");
  });

  test("refuses objects with more than 1024 fields and arrays over 8192 elements", () => {
    const wide: ObjectValue = {};
    for (let i = 0; i <= 1024; i++) wide[`f${i}`] = null;
    expect(thrown(() => validateDocumentShape({ wide }))?.message).toBe(
      "Object has too many fields (1025 > maximum number 1024)",
    );
    expect(
      thrown(() => validateDocumentShape({ a: new Array<Value>(8193).fill(1) }))
        ?.message,
    ).toBe("Array length is too long (8193 > maximum length 8192)");
  });

  test("refuses bad field names at any depth", () => {
    expect(thrown(() => validateDocumentShape({ a: { $b: 1 } }))?.message).toBe(
      "Field name $b starts with '$', which is reserved.",
    );
    expect(thrown(() => validateDocumentShape({ é: 1 }))?.shortMsg).toBe(
      "InvalidFieldName",
    );
    expect(
      thrown(() => validateDocumentShape({ ["x".repeat(1025)]: 1 }))?.message,
    ).toBe("Field name is too long (1025 > maximum 1024)");
  });

  test("refuses top-level fields starting with an underscore other than the system fields", () => {
    const error = thrown(() =>
      validateDocumentShape({ _id: "x", _secret: 1, a: "b" }),
    );
    expect(error?.shortMsg).toBe("InvalidDocumentError");
    expect(error?.message).toBe(
      `Document(value: {_id: "x", _secret: 1.0, a: "b"}) isn't a valid document: ` +
        "Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'",
    );
  });
});

describe("validateFieldName", () => {
  test("names the offending character", () => {
    expect(() => validateFieldName("a\u0001")).toThrow(
      "Field name a\u0001 has invalid character '\u0001': Field names can only contain non-control ASCII characters",
    );
    expect(() => validateFieldName("")).not.toThrow();
  });
});

describe("validateIdentifier", () => {
  test("accepts Convex identifiers", () => {
    for (const name of [
      "messages",
      "_storage",
      "by_channel",
      "A1",
      "x".repeat(64),
    ]) {
      expect(() => validateIdentifier(name, "table")).not.toThrow();
    }
  });

  test("refuses bad identifiers with Convex's reasons", () => {
    const cases: [string, string][] = [
      ["", "Identifier cannot be empty"],
      ["1abc", "Invalid first character '1' in 1abc"],
      ["a-b", "Identifier a-b has invalid character '-'"],
      ["x".repeat(65), "Identifier is too long (65 > maximum 64)"],
      ["___", "Identifier ___ cannot have exclusively underscores"],
    ];
    for (const [name, reason] of cases) {
      const error = thrown(() => validateIdentifier(name, "index"));
      expect(error?.shortMsg).toBe("InvalidIndexName");
      expect(error?.message).toContain(reason);
    }
    expect(thrown(() => validateIdentifier("a b", "table"))?.shortMsg).toBe(
      "InvalidTableName",
    );
  });
});

describe("formatBinarySize", () => {
  test("prints sizes like humansize with binary units", () => {
    expect(formatBinarySize(512)).toBe("512 B");
    expect(formatBinarySize(1024)).toBe("1 KiB");
    expect(formatBinarySize(1536 * 1024)).toBe("1.5 MiB");
    expect(formatBinarySize(MAX_DOCUMENT_BYTES + 20_000)).toBe("1.02 MiB");
  });
});
