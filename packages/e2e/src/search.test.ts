import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "./deployed-app.js";
import { actionRef, mutationRef, queryRef } from "./function-refs.js";

/*
 * Full text search (`withSearchIndex`) and vector search (`ctx.vectorSearch`) in the `search`
 * fixture app, deployed with the CLI and called with the official clients.
 */

let deployed: DeployedApp;
let http: ConvexHttpClient;

const ARTICLES = [
  {
    title: "Foxes",
    body: "The quick brown fox jumps",
    category: "animals",
    embedding: [1, 0, 0],
  },
  {
    title: "Dogs",
    body: "A lazy dog sleeps all day",
    category: "animals",
    embedding: [0, 1, 0],
  },
  {
    title: "Firefox",
    body: "Firefox is a browser, not a fox",
    category: "tech",
    embedding: [0.9, 0.1, 0],
  },
  {
    title: "Bread",
    body: "Brown bread with butter",
    category: "food",
    embedding: [0, 0, 1],
  },
];

beforeAll(async () => {
  deployed = await deployFixture("search");
  http = new ConvexHttpClient(deployed.hull.url, { logger: false });
  for (const article of ARTICLES)
    await http.mutation(mutationRef("articles:add"), article);
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

describe("search through the official clients", () => {
  test("withSearchIndex returns matches in relevance order, filtered by category", async () => {
    const search = queryRef("articles:search");
    expect(await http.query(search, { text: "fox" })).toEqual([
      "Foxes",
      "Firefox",
    ]);
    expect(await http.query(search, { text: "fox", category: "tech" })).toEqual(
      ["Firefox"],
    );
    expect(await http.query(search, { text: "bro" })).toEqual([
      "Bread",
      "Foxes",
      "Firefox",
    ]);
    expect(await http.query(search, { text: "zebra" })).toEqual([]);
    await expect(http.query(search, { text: "w ".repeat(17) })).rejects.toThrow(
      /17 terms, more than the maximum of 16/,
    );
    expect(await http.query(search, { text: "dog" })).toEqual(["Dogs"]);
  });

  test("a search paginates to the end", async () => {
    const page = queryRef("articles:searchPage");
    const titles: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const result = (await http.query(page, {
        text: "a",
        paginationOpts: { numItems: 1, cursor },
      })) as { page: string[]; isDone: boolean; continueCursor: string };
      titles.push(...result.page);
      if (result.isDone) break;
      cursor = result.continueCursor;
    }
    expect(titles.sort()).toEqual(["Dogs", "Firefox"]);
  });

  test("a subscribed search follows new documents", async () => {
    const client = new ConvexClient(deployed.hull.url, { logger: false });
    try {
      const seen: string[][] = [];
      const updated = new Promise<void>((resolve) => {
        client.onUpdate(
          queryRef("articles:search"),
          { text: "butter" },
          (titles: string[]) => {
            seen.push(titles);
            if (titles.length === 2) resolve();
          },
        );
      });
      await http.mutation(mutationRef("articles:add"), {
        title: "Croissant",
        body: "Butter, butter and more butter",
        category: "food",
        embedding: [0, 0.5, 0.5],
      });
      await updated;
      expect(seen.at(-1)).toEqual(["Croissant", "Bread"]);
    } finally {
      await client.close();
    }
  });

  test("ctx.vectorSearch in an action returns the nearest documents by cosine similarity", async () => {
    const similar = actionRef("articles:similar");
    const nearest = (await http.action(similar, { vector: [1, 0, 0] })) as {
      title: string;
      score: number;
    }[];
    expect(nearest.map((r) => r.title)).toEqual(["Foxes", "Firefox"]);
    expect(nearest[0]?.score).toBeCloseTo(1);
    const inFood = (await http.action(similar, {
      vector: [1, 0, 0],
      category: "food",
    })) as { title: string }[];
    expect(inFood.map((r) => r.title).sort()).toEqual(["Bread", "Croissant"]);
    await expect(http.action(similar, { vector: [1, 0] })).rejects.toThrow(
      /2 dimensions, the index has 3/,
    );
    await expect(http.action(similar, { vector: [] })).rejects.toThrow(
      /non-empty/,
    );
    const again = (await http.action(similar, { vector: [0, 1, 0] })) as {
      title: string;
    }[];
    expect(again[0]?.title).toBe("Dogs");
  });
});
