import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "./deployed-app.js";
import { mutationRef, queryRef } from "./function-refs.js";

let deployed: DeployedApp;

beforeAll(async () => {
  deployed = await deployFixture("basic");
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

function client(): ConvexHttpClient {
  return new ConvexHttpClient(deployed.hull.url, { logger: false });
}

/** Runs a push that must fail; restores the fixture files it changed afterwards. */
async function failingPush(
  files: Record<string, string>,
  restore: () => Promise<void>,
): Promise<string> {
  for (const [file, source] of Object.entries(files))
    await deployed.app.writeModule(file, source);
  try {
    const result = await deployed.cli([
      "dev",
      "--once",
      "--typecheck",
      "disable",
    ]);
    expect(result.exitCode, result.stdout).not.toBe(0);
    return result.stderr;
  } finally {
    await restore();
  }
}

describe("a deployment", () => {
  test("keeps its data and functions across a restart of the process", async () => {
    await client().mutation(mutationRef("messages:send"), {
      author: "ada",
      body: "before",
    });
    await client().mutation(mutationRef("counters:increment"), {
      name: "restarts",
    });
    await deployed.hull.restart();
    const messages = (await client().query(queryRef("messages:list"), {})) as {
      body: string;
    }[];
    expect(messages.map((m) => m.body)).toEqual(["before"]);
    expect(
      await client().mutation(mutationRef("counters:increment"), {
        name: "restarts",
      }),
    ).toBe(2);
  });

  test("rejects code that throws at import time with a clear message and keeps running", async () => {
    const stderr = await failingPush(
      {
        "broken.ts":
          'import { query } from "./_generated/server";\nexport const hi = query({ args: {}, handler: () => "hi" });\nthrow new Error("broken at import time");\n',
      },
      () => deployed.app.removeModule("broken.ts"),
    );
    expect(stderr).toMatch(/broken at import time/);
    await expect(client().query(queryRef("broken:hi"), {})).rejects.toThrow(
      /Could not find public function/,
    );
    expect(await client().query(queryRef("messages:list"), {})).toHaveLength(1);
  });

  test("rejects a schema that existing documents violate and keeps running", async () => {
    const stderr = await failingPush(
      {
        "schema.ts":
          'import { defineSchema, defineTable } from "convex/server";\nimport { v } from "convex/values";\nexport default defineSchema({ messages: defineTable({ author: v.string(), body: v.number() }) });\n',
        "extra.ts":
          'import { query } from "./_generated/server";\nexport const added = query({ args: {}, handler: () => 1 });\n',
      },
      async () => {
        await deployed.app.removeModule("extra.ts");
        await deployed.app.restoreModule("schema.ts");
      },
    );
    expect(stderr).toMatch(/Schema validation failed/);
    expect(stderr).toMatch(/messages/);
    await expect(client().query(queryRef("extra:added"), {})).rejects.toThrow(
      /Could not find public function/,
    );
    const rows = (await client().query(queryRef("messages:byAuthor"), {
      author: "ada",
    })) as unknown[];
    expect(rows).toHaveLength(1);
    await client().mutation(mutationRef("messages:send"), {
      author: "bob",
      body: "still a string",
    });
  });

  test("accepts the original app again after the failed pushes", async () => {
    await deployed.push();
    expect(
      await client().query(queryRef("counters:read"), { name: "restarts" }),
    ).toBe(2);
  });
});
