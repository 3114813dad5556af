import pg from "pg";
import { describe, expect, test } from "vitest";
import { createTestDatabase } from "./test-database.js";

describe("createTestDatabase", () => {
  test("gives each caller its own empty database and drops it on dispose", async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>(
        "SELECT current_database() AS db",
      );
      expect(rows[0]?.db).toBe(a.name);
    } finally {
      await client.end();
    }
    await a[Symbol.asyncDispose]();
    await b[Symbol.asyncDispose]();
    const check = new pg.Client({ connectionString: a.url });
    await expect(check.connect()).rejects.toThrow(/does not exist/);
  });
});
