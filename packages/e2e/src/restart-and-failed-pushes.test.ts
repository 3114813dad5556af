import { ConvexHttpClient } from "convex/browser";
import { describe, expect, test } from "vitest";
import { mutationRef, queryRef } from "./function-refs.js";
import { deployFixture } from "./deployed-app.js";

describe("a deployment's durability", () => {
  test("data and the deployed functions survive a restart of the process", async () => {
    await using deployed = await deployFixture("basic");
    const client = new ConvexHttpClient(deployed.hull.url);
    await client.mutation(mutationRef("messages:send"), {
      author: "ada",
      body: "before restart",
    });
    await client.mutation(mutationRef("counters:increment"), {
      name: "restarts",
    });
    await deployed.hull.restart();
    const after = new ConvexHttpClient(deployed.hull.url);
    const messages = (await after.query(queryRef("messages:list"), {})) as {
      body: string;
    }[];
    expect(messages.map((m) => m.body)).toEqual(["before restart"]);
    expect(
      await after.mutation(mutationRef("counters:increment"), {
        name: "restarts",
      }),
    ).toBe(2);
    const again = await deployed.cli([
      "dev",
      "--once",
      "--typecheck",
      "disable",
    ]);
    expect(again.exitCode, again.stderr).toBe(0);
  });
});

describe("a push that fails", () => {
  test("code that throws at import time fails with a clear message and changes nothing", async () => {
    await using deployed = await deployFixture("basic");
    const client = new ConvexHttpClient(deployed.hull.url);
    await client.mutation(mutationRef("messages:send"), {
      author: "ada",
      body: "kept",
    });
    await deployed.app.writeModule(
      "broken.ts",
      'import { query } from "./_generated/server";\nexport const hi = query({ args: {}, handler: () => "hi" });\nthrow new Error("broken at import time");\n',
    );
    const result = await deployed.cli([
      "dev",
      "--once",
      "--typecheck",
      "disable",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/broken at import time/);
    expect(await client.query(queryRef("messages:list"), {})).toHaveLength(1);
    await expect(client.query(queryRef("broken:hi"), {})).rejects.toThrow(
      /Could not find public function/,
    );
  });

  test("a schema that existing documents violate fails and leaves the deployment running", async () => {
    await using deployed = await deployFixture("basic");
    const client = new ConvexHttpClient(deployed.hull.url);
    await client.mutation(mutationRef("messages:send"), {
      author: "ada",
      body: "a string body",
    });
    await deployed.app.writeModule(
      "schema.ts",
      'import { defineSchema, defineTable } from "convex/server";\nimport { v } from "convex/values";\nexport default defineSchema({ messages: defineTable({ author: v.string(), body: v.number() }) });\n',
    );
    await deployed.app.writeModule(
      "extra.ts",
      'import { query } from "./_generated/server";\nexport const added = query({ args: {}, handler: () => 1 });\n',
    );
    const result = await deployed.cli([
      "dev",
      "--once",
      "--typecheck",
      "disable",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/Schema validation failed/);
    await expect(client.query(queryRef("extra:added"), {})).rejects.toThrow(
      /Could not find public function/,
    );
    const rows = (await client.query(queryRef("messages:byAuthor"), {
      author: "ada",
    })) as unknown[];
    expect(rows).toHaveLength(1);
    await client.mutation(mutationRef("messages:send"), {
      author: "bob",
      body: "still a string",
    });
  });
});
