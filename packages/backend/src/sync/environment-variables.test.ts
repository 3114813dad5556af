import { afterEach, describe, expect, test } from "vitest";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import {
  listEnvironmentVariables,
  toEnvironmentRecord,
  updateEnvironmentVariables,
} from "./environment-variables.js";

const fixtures: EngineFixture[] = [];

afterEach(async () => {
  for (const fixture of fixtures.splice(0))
    await fixture[Symbol.asyncDispose]();
});

async function setup() {
  const fixture = await createTestDatabase("memory");
  fixtures.push(fixture);
  return { database: fixture.database };
}

describe("updateEnvironmentVariables", () => {
  test("sets, replaces and removes variables transactionally", async () => {
    const { database } = await setup();
    await database.runInTransaction((tx) =>
      updateEnvironmentVariables(tx, [
        { name: "B", value: "2" },
        { name: "A", value: "1" },
      ]),
    );
    await database.runInTransaction((tx) =>
      updateEnvironmentVariables(tx, [
        { name: "A", value: "one" },
        { name: "B", value: null },
      ]),
    );
    const tx = database.begin();
    expect(toEnvironmentRecord(await listEnvironmentVariables(tx))).toEqual({
      A: "one",
    });
    tx.close();
  });

  test("is read back by a later transaction and survives in the system table only", async () => {
    const { database } = await setup();
    await database.runInTransaction((tx) =>
      updateEnvironmentVariables(tx, [{ name: "KEY", value: "v" }]),
    );
    const tx = database.begin();
    expect(await listEnvironmentVariables(tx)).toEqual([
      { name: "KEY", value: "v" },
    ]);
    expect(tx.catalog.tables().map((t) => t.name)).toContain(
      "_environment_variables",
    );
    tx.close();
  });

  test("rejects an invalid name before writing anything", async () => {
    const { database } = await setup();
    await expect(
      database.runInTransaction((tx) =>
        updateEnvironmentVariables(tx, [
          { name: "OK", value: "1" },
          { name: "1bad", value: "2" },
        ]),
      ),
    ).rejects.toMatchObject({ shortMsg: "InvalidEnvironmentVariableName" });
  });
});
