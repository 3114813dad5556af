import pg from "pg";
import { describe, expect, test } from "vitest";
import {
  boolArray,
  byteaArray,
  int8Array,
  textArray,
  utf8ByteaArray,
} from "./postgres-binary-array.js";
import { createTestDatabase } from "./test-database.js";

describe("postgres-binary-array", () => {
  test("the server reads every array back element for element, NULLs and empty arrays included", async () => {
    await using db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const bytes = [
        Uint8Array.of(),
        Uint8Array.of(0, 255, 0),
        Uint8Array.of(7),
      ];
      const strings = ["", "a\u0000b", "é😀", "x".repeat(70_000)];
      const result = await client.query<Record<string, unknown>>({
        text: `SELECT $1::bytea[] AS bytea, $2::bytea[] AS utf8, $3::text[] AS text,
                      $4::bigint[]::text[] AS int8, $5::boolean[] AS bool, $6::text[] AS empty`,
        values: [
          byteaArray(bytes),
          utf8ByteaArray(strings),
          textArray(["", null, "'\\\"{},é😀", "x".repeat(70_000)]),
          int8Array([0n, null, -(2n ** 63n), 2n ** 63n - 1n]),
          boolArray([true, false]),
          textArray([]),
        ],
      });
      const row = result.rows[0]!;
      expect(row["bytea"]).toEqual(bytes.map((b) => Buffer.from(b)));
      expect(row["utf8"]).toEqual(strings.map((s) => Buffer.from(s, "utf8")));
      expect(row["text"]).toEqual([
        "",
        null,
        "'\\\"{},é😀",
        "x".repeat(70_000),
      ]);
      expect(row["int8"]).toEqual([
        "0",
        null,
        "-9223372036854775808",
        "9223372036854775807",
      ]);
      expect(row["bool"]).toEqual([true, false]);
      expect(row["empty"]).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
