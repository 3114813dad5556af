import pg from "pg";
import { describe, expect, test } from "vitest";
import { createTestDatabase } from "./test-database.js";

async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("createTestDatabase", () => {
  test("gives simultaneous callers different databases", async () => {
    await using a = await createTestDatabase();
    await using b = await createTestDatabase();
    expect(a.name).not.toBe(b.name);
    expect(await query(a.url, "SELECT current_database() AS db")).toEqual([
      { db: a.name },
    ]);
    expect(await query(b.url, "SELECT current_database() AS db")).toEqual([
      { db: b.name },
    ]);
  });

  test("hands out an empty database even after a test left tables, schemas and sessions", async () => {
    const first = await createTestDatabase();
    await query(
      first.url,
      "CREATE TABLE t (x int); CREATE SCHEMA s; CREATE TABLE s.u (y int)",
    );
    const leftover = new pg.Client({ connectionString: first.url });
    leftover.on("error", () => undefined);
    await leftover.connect();
    await first[Symbol.asyncDispose]();
    await leftover.end().catch(() => undefined);

    await using second = await createTestDatabase();
    const tables = await query(
      second.url,
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    expect(tables).toEqual([]);
    const schemas = await query<{ nspname: string }>(
      second.url,
      "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY nspname",
    );
    expect(schemas.map((s) => s.nspname)).toEqual([
      "information_schema",
      "public",
    ]);
  });
});
