import fc from "fast-check";
import { v } from "convex/values";
import type { GenericValidator } from "convex/values";
import { describe, expect, test } from "vitest";
import { BackendError } from "../errors/backend-error.js";
import { encodeId } from "./id.js";
import { COMMIT_TS_PLACEHOLDER } from "./value.js";
import type { Value } from "./value.js";
import {
  displayValidator,
  parseValidatorJson,
  validateValue,
} from "./validator.js";
import type { ValidationContext, ValidatorJson } from "./validator.js";

const TABLES: Record<string, number> = {
  users: 10001,
  messages: 10002,
  _storage: 513,
};
const ctx: ValidationContext = {
  tableNumberOf: (name) => TABLES[name],
  tableNameOf: (number) =>
    Object.keys(TABLES).find((name) => TABLES[name] === number),
};
const USER_ID = encodeId(10001, new Uint8Array(16).fill(1));
const MESSAGE_ID = encodeId(10002, new Uint8Array(16).fill(2));
const STORAGE_ID = encodeId(513, new Uint8Array(16).fill(3));
const UNKNOWN_TABLE_ID = encodeId(10009, new Uint8Array(16).fill(4));

/** The JSON a real `v.*` validator exports, parsed as the backend receives it. */
function json(validator: GenericValidator): ValidatorJson {
  const exported = (validator as unknown as { json: unknown }).json;
  return parseValidatorJson(JSON.parse(JSON.stringify(exported)));
}

function check(
  validator: GenericValidator,
  value: Value | undefined,
): string | null {
  return validateValue(json(validator), value, ctx);
}

const bytes = new Uint8Array([0, 1]).buffer;

describe("validateValue", () => {
  test("accepts exactly the matching type for each simple validator", () => {
    const samples: Value[] = [
      null,
      1.5,
      1n,
      true,
      "s",
      bytes,
      [],
      {},
      COMMIT_TS_PLACEHOLDER,
    ];
    const expectations: [GenericValidator, Value[]][] = [
      [v.null(), [null]],
      [v.number(), [1.5]],
      [v.float64(), [1.5]],
      [v.int64(), [1n]],
      [v.boolean(), [true]],
      [v.string(), ["s"]],
      [v.bytes(), [bytes]],
      [v.commitTs(), [1n, COMMIT_TS_PLACEHOLDER]],
      [v.any(), samples],
    ];
    for (const [validator, accepted] of expectations) {
      for (const value of samples) {
        expect(
          check(validator, value) === null,
          `${displayValidator(json(validator))}`,
        ).toBe(accepted.includes(value));
      }
    }
  });

  test("reports a mismatch with the value and the validator, as Convex does", () => {
    expect(
      check(v.object({ ownerId: v.id("users") }), { ownerId: "user_demo_001" }),
    ).toBe(
      'Value does not match validator.\nPath: .ownerId\nValue: "user_demo_001"\nValidator: v.id("users")',
    );
    expect(check(v.string(), 5n)).toBe(
      "Value does not match validator.\n\nValue: 5\nValidator: v.string()",
    );
    expect(check(v.float64(), 5n)).toContain("Validator: v.float64()");
    expect(check(v.int64(), 5)).toBe(
      "Value does not match validator.\n\nValue: 5.0\nValidator: v.int64()",
    );
  });

  test("compares literals type-exactly", () => {
    expect(check(v.literal("a"), "a")).toBeNull();
    expect(check(v.literal(1), 1)).toBeNull();
    expect(check(v.literal(1n), 1n)).toBeNull();
    expect(check(v.literal(true), true)).toBeNull();
    expect(check(v.literal(1), 1n)).toBe(
      "`1` does not match literal validator `v.literal(1.0)`.",
    );
    expect(check(v.literal(1n), 1)).toBe(
      "`1.0` does not match literal validator `v.literal(<bigint>)`.",
    );
    expect(check(v.object({ kind: v.literal("a") }), { kind: "b" })).toBe(
      '`"b"` does not match literal validator `v.literal("a")`.Path: .kind',
    );
  });

  test("checks IDs against the named table", () => {
    const validator = v.object({ user: v.id("users") });
    expect(check(validator, { user: USER_ID })).toBeNull();
    expect(check(validator, { user: MESSAGE_ID })).toBe(
      `Found ID "${MESSAGE_ID}" from table \`messages\`, which does not match the table name in validator \`v.id("users")\`.Path: .user`,
    );
    expect(check(validator, { user: STORAGE_ID })).toBe(
      `Found ID "${STORAGE_ID}" from a system table, which does not match the table name in validator \`v.id("users")\`.Path: .user`,
    );
    expect(check(validator, { user: UNKNOWN_TABLE_ID })).toContain(
      "Value does not match validator.",
    );
    expect(check(v.id("_storage"), STORAGE_ID)).toBeNull();
    expect(check(v.id("missing"), USER_ID)).toContain("from table `users`");
    expect(
      validateValue(json(v.id("users")), MESSAGE_ID, {
        tableNumberOf: (name) => TABLES[name],
      }),
    ).toContain("Value does not match validator.");
  });

  test("checks arrays element by element with the index in the path", () => {
    expect(check(v.array(v.string()), ["a", "b"])).toBeNull();
    expect(check(v.array(v.string()), ["a", 1])).toBe(
      "Value does not match validator.\nPath: [1]\nValue: 1.0\nValidator: v.string()",
    );
  });

  test("treats objects as exact, with optional fields", () => {
    const validator = v.object({
      name: v.string(),
      age: v.optional(v.number()),
    });
    expect(check(validator, { name: "ada" })).toBeNull();
    expect(check(validator, { name: "ada", age: 36 })).toBeNull();
    expect(check(validator, { name: "ada", age: undefined })).toBeNull();
    expect(check(validator, { age: 36 })).toBe(
      "Object is missing the required field `name`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n" +
        "\nObject: {age: 36.0}\nValidator: v.object({age: v.optional(v.float64()), name: v.string()})",
    );
    expect(
      check(v.object({ inner: validator }), {
        inner: { name: "ada", nick: "a" },
      }),
    ).toBe(
      "Object contains extra field `nick` that is not in the validator.\nPath: .inner\n" +
        'Object: {name: "ada", nick: "a"}\nValidator: v.object({age: v.optional(v.float64()), name: v.string()})',
    );
    expect(check(validator, [])).toContain("Value does not match validator.");
  });

  test("checks every key and value of a record", () => {
    const validator = v.record(v.string(), v.number());
    expect(check(validator, { a: 1, b: 2 })).toBeNull();
    expect(check(validator, { a: 1, b: "x" })).toBe(
      'Value does not match validator.\nPath: .values()\nValue: "x"\nValidator: v.float64()',
    );
    expect(
      check(v.record(v.id("users"), v.boolean()), { [USER_ID]: true }),
    ).toBeNull();
    expect(check(v.record(v.id("users"), v.boolean()), { notAnId: true })).toBe(
      'Value does not match validator.\nPath: .keys()\nValue: "notAnId"\nValidator: v.id("users")',
    );
  });

  test("matches a union if any member matches and reports the whole union otherwise", () => {
    const validator = v.union(v.object({ kind: v.literal("a") }), v.null());
    expect(check(validator, null)).toBeNull();
    expect(check(validator, { kind: "a" })).toBeNull();
    expect(check(validator, { kind: "b" })).toBe(
      'Value does not match validator.\n\nValue: {kind: "b"}\nValidator: v.union(v.object({kind: v.literal("a")}), v.null())',
    );
    expect(check(v.union(v.string()), 1n)).toBe(
      "Value does not match validator.\n\nValue: 1\nValidator: v.string()",
    );
    expect(check(v.nullable(v.string()), null)).toBeNull();
  });

  test("accepts values built to match random validators", () => {
    fc.assert(
      fc.property(validatorWithValueArb, ([validator, value]) => {
        expect(check(validator, value)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseValidatorJson", () => {
  test("accepts the JSON of every kind of v.* validator", () => {
    const all = v.object({
      a: v.null(),
      b: v.number(),
      c: v.int64(),
      d: v.boolean(),
      e: v.string(),
      f: v.bytes(),
      g: v.any(),
      h: v.literal("x"),
      i: v.id("users"),
      j: v.array(v.string()),
      k: v.record(v.union(v.string(), v.id("users")), v.number()),
      l: v.union(v.null(), v.literal(3n)),
      m: v.optional(v.commitTs()),
    });
    expect(json(all)).toEqual((all as unknown as { json: unknown }).json);
  });

  test("refuses malformed validators", () => {
    const bad: unknown[] = [
      null,
      { type: "nope" },
      { type: "array" },
      { type: "object", value: { a: { fieldType: { type: "string" } } } },
      { type: "literal", value: null },
      { type: "literal", value: { $integer: "AA" } },
      { type: "union", value: {} },
      { type: "id" },
    ];
    for (const value of bad) {
      expect(() => parseValidatorJson(value), JSON.stringify(value)).toThrow(
        BackendError,
      );
    }
  });

  test("refuses records with non-string keys or optional values", () => {
    const keysNumber = {
      type: "record",
      keys: { type: "number" },
      values: { fieldType: { type: "number" }, optional: false },
    };
    const optionalValues = {
      type: "record",
      keys: { type: "string" },
      values: { fieldType: { type: "number" }, optional: true },
    };
    for (const value of [keysNumber, optionalValues]) {
      expect(() => parseValidatorJson(value)).toThrow(
        expect.objectContaining({ shortMsg: "InvalidRecordType" }),
      );
    }
  });
});

/** Random `v.*` validators together with a value that matches each. */
const validatorWithValueArb: fc.Arbitrary<[GenericValidator, Value]> =
  fc.letrec<{
    pair: [GenericValidator, Value];
  }>((tie) => ({
    pair: fc.oneof(
      { depthSize: "small" },
      fc.constant<[GenericValidator, Value]>([v.null(), null]),
      fc.double().map((n): [GenericValidator, Value] => [v.number(), n]),
      fc
        .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        .map((n): [GenericValidator, Value] => [v.int64(), n]),
      fc.string().map((s): [GenericValidator, Value] => [v.string(), s]),
      fc.string().map((s): [GenericValidator, Value] => [v.literal(s), s]),
      fc.constant<[GenericValidator, Value]>([v.id("users"), USER_ID]),
      fc.constant<[GenericValidator, Value]>([v.any(), [1n, { a: null }]]),
      tie("pair").map(([inner, value]): [GenericValidator, Value] => [
        v.array(inner),
        [value, value],
      ]),
      fc
        .dictionary(fc.stringMatching(/^[a-z]{1,4}$/), tie("pair"), {
          maxKeys: 3,
        })
        .map((fields): [GenericValidator, Value] => {
          const validators: Record<string, GenericValidator> = {
            extra: v.optional(v.string()),
          };
          const value: Record<string, Value> = {};
          for (const [name, [validator, fieldValue]] of Object.entries(
            fields,
          )) {
            validators[name] = validator;
            value[name] = fieldValue;
          }
          return [v.object(validators), value];
        }),
      tie("pair").map(([inner, value]): [GenericValidator, Value] => [
        v.record(v.string(), inner),
        { a: value, b: value },
      ]),
      tie("pair").map(([inner, value]): [GenericValidator, Value] => [
        v.union(v.null(), inner, v.bytes()),
        value,
      ]),
    ),
  })).pair;
