import { ConvexHttpClient } from "convex/browser";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "../deployed-app.js";
import { mutationRef, queryRef } from "../function-refs.js";
import {
  chromiumInstalled,
  launchChromium,
  type HeadlessChromium,
} from "./chromium.js";
import { buildAndServe, type ServedPage } from "./vite-page.js";

// Outside CI a machine without Chromium skips these; in CI `.ci/run` installs it.
const skip = !chromiumInstalled() && process.env.CI === undefined;

let deployed: DeployedApp;
let served: ServedPage;
let browser: HeadlessChromium;
let client: ConvexHttpClient;
let page: Page;

const add = mutationRef("notes:add");

beforeAll(async () => {
  if (skip) return;
  deployed = await deployFixture("react-live");
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
  for (let i = 1; i <= 5; i++)
    await client.mutation(add, { body: `note ${i}` });
  served = await buildAndServe(deployed.app.dir, deployed.hull.url);
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(served.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await deployed?.[Symbol.asyncDispose]();
});

const notes = () => page.getByTestId("notes").locator("li").allTextContents();
const text = (id: string) => page.getByTestId(id).textContent();

describe.skipIf(skip)(
  "a React page with useQuery, usePaginatedQuery and useMutation in headless Chromium",
  () => {
    test("it shows the first page and the count", async () => {
      await expect.poll(notes).toEqual(["note 5", "note 4", "note 3"]);
      expect(await text("count")).toBe("5");
      expect(await text("status")).toBe("CanLoadMore");
    });

    test("a mutation from Node updates the count and the first page live", async () => {
      await client.mutation(add, { body: "from node" });
      await expect.poll(() => text("count")).toBe("6");
      await expect
        .poll(notes)
        .toEqual(["from node", "note 5", "note 4", "note 3"]);
    });

    test("Load more pages through to the end", async () => {
      await page.getByRole("button", { name: "Load more" }).click();
      await expect
        .poll(notes)
        .toEqual([
          "from node",
          "note 5",
          "note 4",
          "note 3",
          "note 2",
          "note 1",
        ]);
      await expect.poll(() => text("status")).toBe("Exhausted");
    });

    test("useMutation on the page writes what a Node client reads", async () => {
      await page.getByLabel("New note").fill("from the browser");
      await page.getByRole("button", { name: "Add" }).click();
      await expect
        .poll(() => client.query(queryRef("notes:count"), {}))
        .toBe(7);
      await expect.poll(notes).toContain("from the browser");
      expect((await notes())[0]).toBe("from the browser");
    });
  },
);
