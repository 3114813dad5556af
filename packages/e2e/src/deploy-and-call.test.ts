import fs from "node:fs/promises";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { ConvexError, type Value } from "convex/values";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { actionRef, mutationRef, queryRef } from "./function-refs.js";
import { deployFixture, type DeployedApp } from "./deployed-app.js";

let deployed: DeployedApp;
let client: ConvexHttpClient;

beforeAll(async () => {
  deployed = await deployFixture("basic");
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

describe("an app deployed with npx convex dev --once", () => {
  test("the CLI wrote the deployment URL to .env.local and generated the API", async () => {
    const env = await fs.readFile(
      path.join(deployed.app.dir, ".env.local"),
      "utf8",
    );
    expect(env).toContain(`CONVEX_URL=${deployed.hull.url}`);
    const generated = await fs.readdir(
      path.join(deployed.app.dir, "convex", "_generated"),
    );
    expect(generated).toContain("api.d.ts");
  });

  test("mutations and queries run through ConvexHttpClient", async () => {
    const id = (await client.mutation(mutationRef("messages:send"), {
      author: "ada",
      body: "hello",
    })) as string;
    expect(typeof id).toBe("string");
    await client.mutation(mutationRef("messages:send"), {
      author: "bob",
      body: "hi",
    });
    const all = (await client.query(queryRef("messages:list"), {})) as {
      author: string;
      body: string;
    }[];
    expect(all.map((m) => [m.author, m.body])).toEqual([
      ["ada", "hello"],
      ["bob", "hi"],
    ]);
    const byAda = (await client.query(queryRef("messages:byAuthor"), {
      author: "ada",
    })) as { _id: string }[];
    expect(byAda.map((m) => m._id)).toEqual([id]);
    expect(await client.query(queryRef("messages:get"), { id })).toMatchObject({
      body: "hello",
    });
  });

  test("an action runs internal functions in their own transactions", async () => {
    const before = (await client.query(
      queryRef("messages:list"),
      {},
    )) as unknown[];
    const count: unknown = await client.action(
      actionRef("messages:sendAndCount"),
      {
        author: "cy",
        body: "from action",
      },
    );
    expect(count).toBe(before.length + 1);
  });

  test("a ConvexError reaches the client with its data", async () => {
    const error: unknown = await client
      .mutation(mutationRef("messages:send"), { author: "ada", body: "" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({
      code: "EmptyBody",
      author: "ada",
    });
  });

  test("an uncaught error is reported as Uncaught Error with its message", async () => {
    await expect(
      client.mutation(mutationRef("messages:send"), {
        author: "a",
        body: "crash",
      }),
    ).rejects.toThrow(/Uncaught Error: the handler crashed/);
  });

  test("wrong argument types fail argument validation and write nothing", async () => {
    const before = (await client.query(
      queryRef("messages:list"),
      {},
    )) as unknown[];
    await expect(
      client.mutation(mutationRef("messages:send"), { author: 7, body: "x" }),
    ).rejects.toThrow(/ArgumentValidationError/);
    await expect(
      client.mutation(mutationRef("messages:send"), { author: "a" }),
    ).rejects.toThrow(/ArgumentValidationError/);
    expect(await client.query(queryRef("messages:list"), {})).toHaveLength(
      before.length,
    );
  });

  test("an invalid document ID fails argument validation", async () => {
    await expect(
      client.query(queryRef("messages:get"), { id: "not-an-id" }),
    ).rejects.toThrow(/ArgumentValidationError/);
  });

  test("an unknown function is a clear error", async () => {
    await expect(client.query(queryRef("messages:nope"), {})).rejects.toThrow(
      /Could not find public function for 'messages:nope'/,
    );
  });

  test("a malformed or oversized body over real HTTP is a clear 400 and the server keeps serving", async () => {
    const post = (body: string) =>
      fetch(`${deployed.hull.url}/api/mutation`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/Failed to parse the JSON body/);
    const tooLarge = await post(
      JSON.stringify({
        path: "messages:send",
        args: { body: "x".repeat(18 * 1024 * 1024) },
      }),
    );
    expect(tooLarge.status).toBe(400);
    await tooLarge.text();
    expect(await client.query(queryRef("messages:list"), {})).toBeDefined();
  });

  test("internal functions are hidden from public callers", async () => {
    await expect(client.query(queryRef("messages:count"), {})).rejects.toThrow(
      /Could not find public function/,
    );
  });

  test("npx convex run runs internal functions with an admin key", async () => {
    const expected = (
      (await client.query(queryRef("messages:list"), {})) as unknown[]
    ).length;
    const result = await deployed.cli(["run", "messages:count"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(String(expected));
  });

  test("npx convex run reports a missing function", async () => {
    const result = await deployed.cli(["run", "messages:missing"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/Could not find function/);
  });

  test("a consistent query reads at the snapshot of its first call", async () => {
    const consistent = new ConvexHttpClient(deployed.hull.url, {
      logger: false,
    });
    const first = (await consistent.consistentQuery(
      queryRef("messages:list"),
      {},
    )) as unknown[];
    await client.mutation(mutationRef("messages:send"), {
      author: "late",
      body: "after the snapshot",
    });
    expect(
      await consistent.consistentQuery(queryRef("messages:list"), {}),
    ).toHaveLength(first.length);
    expect(await client.query(queryRef("messages:list"), {})).toHaveLength(
      first.length + 1,
    );
  });

  test("HTTP actions answer on the site port and under /http/ on the client port", async () => {
    const count = (
      (await client.query(queryRef("messages:list"), {})) as unknown[]
    ).length;
    const site = await fetch(`${deployed.hull.siteUrl}/hello`);
    expect(site.status).toBe(200);
    expect(await site.text()).toBe(`hello, ${count} messages`);
    const prefixed = await fetch(`${deployed.hull.url}/http/hello`);
    expect(await prefixed.text()).toBe(`hello, ${count} messages`);
    expect((await fetch(`${deployed.hull.siteUrl}/nope`)).status).toBe(404);
  });

  test("npx convex env sets variables that functions read from process.env", async () => {
    const set = await deployed.cli([
      "env",
      "set",
      "GREETING",
      "hello from env",
    ]);
    expect(set.exitCode, set.stderr).toBe(0);
    expect(await client.query(queryRef("counters:greeting"), {})).toBe(
      "hello from env",
    );
    const list = await deployed.cli(["env", "list"]);
    expect(list.stdout).toContain("GREETING=hello from env");
    const removed = await deployed.cli(["env", "remove", "GREETING"]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await client.query(queryRef("counters:greeting"), {})).toBeNull();
  });

  test("npx convex codegen and npx convex deploy succeed against the deployment", async () => {
    const codegen = await deployed.cli(["codegen", "--typecheck", "disable"]);
    expect(codegen.exitCode, codegen.stderr).toBe(0);
    const deploy = await deployed.cli([
      "deploy",
      "--yes",
      "--typecheck",
      "disable",
    ]);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.stderr).toMatch(/Deployed Convex functions/);
    expect(await client.query(queryRef("counters:read"), { name: "x" })).toBe(
      0,
    );
  });
});
