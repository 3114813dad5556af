import fs from "node:fs/promises";
import path from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import type { FunctionReference } from "convex/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "./deployed-app.js";
import { mutationRef, queryRef } from "./function-refs.js";

/*
 * The official `ConvexClient` (Node, over the sync WebSocket) against a real `hull serve`
 * running the `live` fixture app.
 */

let deployed: DeployedApp;
const clients: ConvexClient[] = [];

beforeAll(async () => {
  deployed = await deployFixture("live");
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

function connect(): ConvexClient {
  const client = new ConvexClient(deployed.hull.url, { logger: false });
  clients.push(client);
  return client;
}

/** Resolves with the first result of `query(args)` that satisfies `predicate`. */
function resultWhere<T>(
  client: ConvexClient,
  query: FunctionReference<"query">,
  args: Record<string, unknown>,
  predicate: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const unsubscribe = client.onUpdate(query, args, (value) => {
      if (predicate(value as T)) {
        unsubscribe();
        resolve(value as T);
      }
    });
  });
}

type Message = { channel: string; body: string };

describe("live queries through ConvexClient", () => {
  test("a subscription sees another client's mutation", async () => {
    const reader = connect();
    const writer = connect();
    const byAuthor = queryRef("messages:list");
    await resultWhere<Message[]>(
      reader,
      byAuthor,
      { channel: "live-1" },
      (v) => v.length === 0,
    );
    const updated = resultWhere<Message[]>(
      reader,
      byAuthor,
      { channel: "live-1" },
      (v) => v.length === 1,
    );
    await writer.mutation(mutationRef("messages:send"), {
      channel: "live-1",
      body: "hello",
    });
    expect((await updated).map((m) => m.body)).toEqual(["hello"]);
  });

  test("an awaited mutation resolves only after its effect is visible to the subscriber", async () => {
    const client = connect();
    let latest: Message[] | undefined;
    client.onUpdate(queryRef("messages:list"), { channel: "live-2" }, (v) => {
      latest = v as Message[];
    });
    await resultWhere<Message[]>(
      client,
      queryRef("messages:list"),
      { channel: "live-2" },
      () => true,
    );
    await client.mutation(mutationRef("messages:send"), {
      channel: "live-2",
      body: "seen",
    });
    expect(latest?.map((m) => m.body)).toEqual(["seen"]);
    expect(
      await client.query(queryRef("messages:list"), { channel: "live-2" }),
    ).toHaveLength(1);
  });

  test("a mutation error reaches the caller as ConvexError data", async () => {
    const client = connect();
    await expect(
      client.mutation(mutationRef("messages:send"), {
        channel: "live-3",
        body: "",
      }),
    ).rejects.toMatchObject({ data: { code: "EmptyBody", channel: "live-3" } });
  });

  test("reactive pagination keeps page boundaries while data changes", async () => {
    const writer = connect();
    const reader = connect();
    const send = mutationRef("messages:send");
    for (const body of ["m0", "m1", "m2", "m3", "m4"])
      await writer.mutation(send, { channel: "pages", body });
    const bodies = (): string[] | undefined =>
      subscription
        .getCurrentValue()
        ?.results.map((m: unknown) => (m as Message).body);
    const subscription = reader.onPaginatedUpdate_experimental(
      queryRef("messages:page"),
      { channel: "pages" },
      { initialNumItems: 2 },
      () => {},
    );
    await waitFor(() => bodies()?.length === 2);
    expect(bodies()).toEqual(["m0", "m1"]);
    expect(subscription.getCurrentValue()?.status).toBe("CanLoadMore");
    subscription.getCurrentValue()?.loadMore(2);
    await waitFor(() => bodies()?.length === 4);
    expect(bodies()).toEqual(["m0", "m1", "m2", "m3"]);

    // The first page keeps its end (m1): removing m0 shrinks it instead of pulling m2 in.
    await writer.mutation(mutationRef("messages:remove"), {
      channel: "pages",
      body: "m0",
    });
    await waitFor(() => bodies()?.[0] === "m1");
    expect(bodies()).toEqual(["m1", "m2", "m3"]);
    // A new message lands after the loaded pages, not inside them.
    await writer.mutation(send, { channel: "pages", body: "m5" });
    subscription.getCurrentValue()?.loadMore(10);
    await waitFor(() => subscription.getCurrentValue()?.status === "Exhausted");
    expect(bodies()).toEqual(["m1", "m2", "m3", "m4", "m5"]);
  });

  test("a rejected user token ends in onAuthChange(false) and an anonymous session that still works", async () => {
    const client = connect();
    const changes: boolean[] = [];
    client.setAuth(
      () => Promise.resolve("not-a-valid-token"),
      (isAuthenticated) => changes.push(isAuthenticated),
    );
    await waitFor(() => changes.length > 0);
    expect(changes).toEqual([false]);
    expect(await client.query(queryRef("messages:whoami"), {})).toBeNull();
  });

  test("a server restart leads to a reconnect with no lost or doubled mutation", async () => {
    const client = connect();
    const read = queryRef("counters:read");
    const increment = mutationRef("counters:increment");
    await resultWhere<number>(
      client,
      read,
      { name: "restart" },
      (v) => v === 0,
    );
    expect(await client.mutation(increment, { name: "restart" })).toBe(1);

    const restarted = deployed.hull.restart();
    await waitFor(() => !client.connectionState().isWebSocketConnected);
    // Issued while disconnected: queued by the client and sent once it reconnects.
    const second = client.mutation(increment, { name: "restart" });
    await restarted;
    expect(await second).toBe(2);
    expect(
      await resultWhere<number>(
        client,
        read,
        { name: "restart" },
        (v) => v === 2,
      ),
    ).toBe(2);
    const http = new ConvexHttpClient(deployed.hull.url, { logger: false });
    expect(await http.query(read, { name: "restart" })).toBe(2);
  });
});

describe("live queries after the deployment changes", () => {
  /** Writes `convex/liveCode.ts`, whose query returns `label` and the variable LIVE_GREETING. */
  async function deployLabel(label: string): Promise<void> {
    await fs.writeFile(
      path.join(deployed.app.dir, "convex", "liveCode.ts"),
      `import { query } from "./_generated/server";
export const get = query({
  args: {},
  handler: async () => ${JSON.stringify(label)} + ":" + (process.env.LIVE_GREETING ?? ""),
});
`,
    );
    await deployed.push();
  }

  test("a subscription shows the new code's result after a redeploy and the new value after env set", async () => {
    await deployLabel("one");
    const client = connect();
    const get = queryRef("liveCode:get");
    expect(
      await resultWhere<string>(client, get, {}, (v) => v === "one:"),
    ).toBe("one:");
    const afterDeploy = resultWhere<string>(
      client,
      get,
      {},
      (v) => v === "two:",
    );
    await deployLabel("two");
    expect(await afterDeploy).toBe("two:");
    const afterEnv = resultWhere<string>(
      client,
      get,
      {},
      (v) => v === "two:hi",
    );
    const set = await deployed.cli(["env", "set", "LIVE_GREETING", "hi"]);
    expect(set.exitCode, set.stderr).toBe(0);
    expect(await afterEnv).toBe("two:hi");
  });
});

describe("the CLI's calls over the sync socket (admin auth)", () => {
  test("npx convex data lists tables and npx convex data <table> shows documents", async () => {
    const writer = connect();
    await writer.mutation(mutationRef("messages:send"), {
      channel: "cli",
      body: "from-cli-test",
    });
    const tables = await deployed.cli(["data"]);
    expect(tables.exitCode, tables.stderr).toBe(0);
    expect(tables.stdout.split("\n")).toEqual(
      expect.arrayContaining(["counters", "messages"]),
    );
    const documents = await deployed.cli([
      "data",
      "messages",
      "--format",
      "jsonLines",
    ]);
    expect(documents.exitCode, documents.stderr).toBe(0);
    expect(documents.stdout).toContain("from-cli-test");
  });
});

async function waitFor(
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
