import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  decodeId,
  encodeId,
  FIRST_USER_TABLE_NUMBER,
  newInternalId,
} from "./id.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** A real ID from a Convex deployment (table 10003). */
const REAL_ID = "jd7746s4q8nf1qz7mm12sctdch823n4y";

const tableNumberArb = fc.oneof(
  fc.integer({ min: 1, max: 0xffffffff }),
  fc.constantFrom(
    1,
    127,
    128,
    16383,
    16384,
    2 ** 21 - 1,
    2 ** 21,
    2 ** 28 - 1,
    2 ** 28,
    0xffffffff,
  ),
);
const internalIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe("decodeId", () => {
  test("decodes a real Convex ID to its table and a plausible creation day", () => {
    const decoded = decodeId(REAL_ID);
    expect(decoded?.tableNumber).toBe(10003);
    const internal = decoded!.internalId;
    const day = (internal[14]! << 8) | internal[15]!;
    // Days since the epoch: 2024-01-01 is day 19723, 2028-01-01 is day 21184.
    expect(day).toBeGreaterThan(19723);
    expect(day).toBeLessThan(21184);
    expect(encodeId(decoded!.tableNumber, internal)).toBe(REAL_ID);
  });

  test("rejects the real ID with any single character changed", () => {
    for (let i = 0; i < REAL_ID.length; i++) {
      for (const c of ALPHABET) {
        if (c === REAL_ID[i]) continue;
        const mutated = REAL_ID.slice(0, i) + c + REAL_ID.slice(i + 1);
        expect(decodeId(mutated), mutated).toBeNull();
      }
    }
  });

  test("rejects wrong lengths, foreign characters and trailing text", () => {
    expect(decodeId(REAL_ID.slice(0, -1))).toBeNull();
    expect(decodeId(`${REAL_ID}0`)).toBeNull();
    expect(decodeId(REAL_ID.toUpperCase())).toBeNull();
    expect(decodeId(REAL_ID.replace("j", "i"))).toBeNull();
    expect(decodeId("")).toBeNull();
    expect(decodeId("0".repeat(31))).toBeNull();
    expect(decodeId("sssswsgggggggggsgcsssfafffsffks")).toBeNull();
  });

  test("round-trips every table number and internal ID", () => {
    fc.assert(
      fc.property(tableNumberArb, internalIdArb, (tableNumber, internalId) => {
        const id = encodeId(tableNumber, internalId);
        expect(id.length).toBeGreaterThanOrEqual(31);
        expect(id.length).toBeLessThanOrEqual(37);
        expect(decodeId(id)).toEqual({ tableNumber, internalId });
      }),
      { numRuns: 300 },
    );
  });

  test("accepts nothing but canonical encodings of valid IDs", () => {
    const textArb = fc.string({
      unit: fc.constantFrom(...ALPHABET.split("")),
      minLength: 31,
      maxLength: 37,
    });
    fc.assert(
      fc.property(textArb, (text) => {
        const decoded = decodeId(text);
        if (decoded !== null)
          expect(encodeId(decoded.tableNumber, decoded.internalId)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe("encodeId", () => {
  test("matches Convex's stability vector", () => {
    const internal = new Uint8Array(16);
    internal[0] = 251;
    for (let i = 1; i < 16; i++) internal[i] = (internal[i - 1]! * 251) & 0xff;
    expect(encodeId(1017, internal)).toBe("z43zp6c3e75gkmz1kfwj6mbbx5sw281h");
  });

  test("gives 31 characters for tables below 128 and 32 for user tables", () => {
    const internal = new Uint8Array(16);
    expect(encodeId(127, internal)).toHaveLength(31);
    expect(encodeId(FIRST_USER_TABLE_NUMBER, internal)).toHaveLength(32);
    expect(encodeId(0xffffffff, internal)).toHaveLength(37);
  });

  test("refuses table 0 and internal IDs that are not 16 bytes", () => {
    expect(() => encodeId(0, new Uint8Array(16))).toThrow(
      "invalid table number",
    );
    expect(() => encodeId(1, new Uint8Array(15))).toThrow("16 bytes");
  });
});

describe("newInternalId", () => {
  test("is 14 random bytes and the big-endian day number", () => {
    const id = newInternalId(1771628612925, (n) => new Uint8Array(n).fill(7));
    expect([...id.subarray(0, 14)]).toEqual(new Array(14).fill(7));
    expect((id[14]! << 8) | id[15]!).toBe(20504);
  });
});
