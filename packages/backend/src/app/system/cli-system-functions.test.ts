import { describe, expect, test } from "vitest";
import { createTestDatabase } from "../../engine/testing/test-database.js";
import type { Value } from "../../values/value.js";
import type { AppManifest } from "../deployment-manifest.js";
import { createCliSystemFunctions } from "./cli-system-functions.js";

const manifest: AppManifest = {
  modules: [
    { path: "messages.js", environment: "isolate", sha256: "a".repeat(64) },
  ],
  analysis: {
    modules: {
      "messages.js": {
        path: "messages.js",
        environment: "isolate",
        functions: [
          {
            name: "list",
            udfType: "query",
            visibility: "public",
            args: "{}",
            returns: null,
          },
          {
            name: "purge",
            udfType: "mutation",
            visibility: "internal",
            args: "{}",
            returns: null,
          },
        ],
      },
    },
    schema: null,
    crons: null,
    httpRoutes: [{ path: "/hook", method: "POST" }],
    authProviders: [],
  },
  udfServerVersion: "1.48.0",
};

const functions = createCliSystemFunctions({
  manifest: () => manifest,
  environmentVariables: () => ({ API_KEY: "k" }),
});

async function call(path: string, args: Value): Promise<Value> {
  await using fixture = await createTestDatabase("memory");
  await fixture.database.runInTransaction(async (tx) => {
    await tx.insert("messages", { body: "a" });
    await tx.insert("messages", { body: "b" });
  });
  const fn = functions[path];
  if (fn === undefined) throw new Error(`no system function ${path}`);
  const { value } = await fixture.database.runInTransaction((tx) =>
    fn.handler({ tx, identity: null }, args),
  );
  return value;
}

describe("CLI system functions", () => {
  test("apiSpec lists every function and HTTP route of the active deployment", async () => {
    expect(await call("_system/cli/modules.js:apiSpec", {})).toEqual([
      {
        identifier: "messages.js:list",
        functionType: "Query",
        visibility: { kind: "public" },
        args: "{}",
        returns: null,
      },
      {
        identifier: "messages.js:purge",
        functionType: "Mutation",
        visibility: { kind: "internal" },
        args: "{}",
        returns: null,
      },
      { functionType: "HttpAction", method: "POST", path: "/hook" },
    ]);
  });

  test("tables, tableData, tableSize and queryTable read the user tables", async () => {
    expect(await call("_system/cli/tables.js:default", {})).toEqual({
      page: [{ name: "messages" }],
      isDone: true,
      continueCursor: "end",
    });
    const data = (await call("_system/cli/tableData.js:default", {
      table: "messages",
      order: "asc",
      paginationOpts: { cursor: null, numItems: 10 },
    })) as { page: { body: string }[]; isDone: boolean };
    expect(data.page.map((d) => d.body)).toEqual(["a", "b"]);
    expect(data.isDone).toBe(true);
    expect(
      await call("_system/cli/tableSize.js:default", { tableName: "messages" }),
    ).toBe(2);
    expect(
      await call("_system/cli/queryTable.js:default", {
        tableName: "messages",
      }),
    ).toBe(2);
  });

  test("environment variables are listed and looked up by name", async () => {
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:default", {}),
    ).toEqual([{ name: "API_KEY", value: "k" }]);
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:get", {
        name: "API_KEY",
      }),
    ).toEqual({
      name: "API_KEY",
      value: "k",
    });
    expect(
      await call("_system/cli/queryEnvironmentVariables.js:get", {
        name: "NOPE",
      }),
    ).toBeNull();
  });

  test("malformed arguments are a clear error", async () => {
    await expect(call("_system/cli/tableSize.js:default", {})).rejects.toThrow(
      /tableName must be a string/,
    );
  });
});
