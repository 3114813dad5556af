import { afterEach, describe, expect, test } from "vitest";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import type { Value } from "../values/value.js";
import {
  type ApiSpecSource,
  createCliSystemFunctions,
} from "./cli-system-functions.js";
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

const analysis: ApiSpecSource = {
  modules: {
    "messages.js": {
      functions: [
        {
          name: "list",
          udfType: "query",
          visibility: "public",
          args: '{"type":"object","value":{}}',
          returns: null,
        },
        {
          name: "send",
          udfType: "mutation",
          visibility: "internal",
          args: null,
          returns: null,
        },
      ],
    },
  },
  httpRoutes: [{ path: "/hook", method: "POST" }],
};

async function setup() {
  const fixture = await createTestDatabase("memory");
  fixtures.push(fixture);
  const functions = createCliSystemFunctions({
    analysis: () => analysis,
    cloudUrl: "http://127.0.0.1:3210",
  });
  const call = async (path: string, args: Value = {}): Promise<Value> => {
    const fn = functions[path];
    if (fn === undefined) throw new Error(`no ${path}`);
    const tx = fixture.database.begin();
    try {
      return await fn.handler({ tx, identity: null }, args);
    } finally {
      tx.close();
    }
  };
  return { database: fixture.database, call };
}

describe("environment variables", () => {
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

describe("createCliSystemFunctions", () => {
  test("lists user tables and pages through a table's documents", async () => {
    const { database, call } = await setup();
    await database.runInTransaction(async (tx) => {
      for (const n of [1, 2, 3]) await tx.insert("messages", { n });
      await updateEnvironmentVariables(tx, [{ name: "X", value: "y" }]);
    });
    expect(
      await call("_system/cli/tables.js:default", {
        paginationOpts: { cursor: null, numItems: 10000 },
      }),
    ).toEqual({
      page: [{ name: "messages" }],
      isDone: true,
      continueCursor: "end",
    });
    const first = (await call("_system/cli/tableData.js:default", {
      table: "messages",
      order: "desc",
      paginationOpts: { cursor: null, numItems: 2 },
    })) as { page: { n: number }[]; isDone: boolean; continueCursor: string };
    expect(first.page.map((d) => d.n)).toEqual([3, 2]);
    expect(first.isDone).toBe(false);
    const rest = (await call("_system/cli/tableData.js:default", {
      table: "messages",
      order: "desc",
      paginationOpts: { cursor: first.continueCursor, numItems: 2 },
    })) as { page: { n: number }[]; isDone: boolean };
    expect(rest.page.map((d) => d.n)).toEqual([1]);
    expect(rest.isDone).toBe(true);
    expect(
      await call("_system/cli/tableSize.js:default", { tableName: "messages" }),
    ).toBe(3);
  });

  test("answers env list and get", async () => {
    const { database, call } = await setup();
    await database.runInTransaction((tx) =>
      updateEnvironmentVariables(tx, [{ name: "KEY", value: "v" }]),
    );
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:default"),
    ).toEqual([{ name: "KEY", value: "v" }]);
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:get", {
        name: "KEY",
      }),
    ).toEqual({ name: "KEY", value: "v" });
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:get", {
        name: "NOPE",
      }),
    ).toBeNull();
  });

  test("lists functions and HTTP routes in the apiSpec shape the CLI reads", async () => {
    const { call } = await setup();
    expect(await call("_system/cli/modules.js:apiSpec")).toEqual([
      {
        identifier: "messages.js:list",
        functionType: "Query",
        visibility: { kind: "public" },
        args: { type: "object", value: {} },
        returns: null,
      },
      {
        identifier: "messages.js:send",
        functionType: "Mutation",
        visibility: { kind: "internal" },
        args: null,
        returns: null,
      },
      { functionType: "HttpAction", method: "POST", path: "/hook" },
    ]);
    expect(await call("_system/cli/convexUrl.js:cloudUrl")).toBe(
      "http://127.0.0.1:3210",
    );
  });
});
