import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../../../examples/browser-testing/convex/_generated/api.js";
import { createDemoSession } from "../../../../examples/browser-testing/scripts/demo-session.js";
import {
  deployExample,
  EXAMPLES_DIR,
  type DeployedExample,
} from "../example-app.js";
import {
  chromiumInstalled,
  launchChromium,
  type HeadlessChromium,
} from "./chromium.js";
import { buildAndServe, type ServedPage } from "./vite-page.js";

// Outside CI a machine without Chromium skips these; in CI `.ci/run` installs it.
const skip = !chromiumInstalled() && process.env.CI === undefined;

let deployed: DeployedExample;
let served: ServedPage;
let browser: HeadlessChromium;
let client: ConvexHttpClient;

beforeAll(async () => {
  if (skip) return;
  deployed = await deployExample("browser-testing");
  served = await buildAndServe(
    path.join(EXAMPLES_DIR, "browser-testing"),
    deployed.hull.url,
  );
  browser = await launchChromium();
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await deployed?.[Symbol.asyncDispose]();
});

async function openSession(page: Page, sessionId: string): Promise<void> {
  await page.goto(served.url);
  await page.getByTestId(`session-${sessionId}`).click();
}

describe.skipIf(skip)("the browser-testing page in headless Chromium", () => {
  test("a flow's status changed from Node appears without a reload", async () => {
    const { sessionId, flowIds } = await createDemoSession(client, "Live page");
    const page = await browser.context.newPage();
    try {
      await openSession(page, sessionId);
      const badge = page.getByTestId(`flow-status-${flowIds[0]}`);
      await expect.poll(() => badge.textContent()).toBe("pending");
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
      });

      await client.mutation(api.browserTesting.updateFlowStatus, {
        flowId: flowIds[0]!,
        status: "running",
      });
      await expect.poll(() => badge.textContent()).toBe("running");
      await expect
        .poll(() => page.getByTestId("session-status").textContent())
        .toBe("running");

      for (const flowId of flowIds) {
        if (flowId !== flowIds[0])
          await client.mutation(api.browserTesting.updateFlowStatus, {
            flowId,
            status: "running",
          });
        await client.mutation(api.browserTesting.updateFlowStatus, {
          flowId,
          status: "completed",
        });
      }
      await expect
        .poll(() => page.getByTestId("session-status").textContent())
        .toBe("completed");
      await expect
        .poll(() => page.getByTestId(`session-${sessionId}`).textContent())
        .toContain("3/3 flows");
      // The same document: no reload happened.
      expect(
        await page.evaluate(
          () => (window as unknown as { marker?: number }).marker,
        ),
      ).toBe(1);
    } finally {
      await page.close();
    }
  });

  test("clicking Run and Pass on the page changes the flow for a Node client too", async () => {
    const { sessionId, flowIds } = await createDemoSession(client, "Clicks");
    const page = await browser.context.newPage();
    try {
      await openSession(page, sessionId);
      const row = page.getByTestId(`flow-${flowIds[1]}`);
      await row.getByRole("button", { name: "Run" }).click();
      await expect
        .poll(() => page.getByTestId(`flow-status-${flowIds[1]}`).textContent())
        .toBe("running");
      await row.getByRole("button", { name: "Pass" }).click();
      await expect
        .poll(async () => {
          const session = await client.query(
            api.browserTesting.getTestSession,
            {
              sessionId,
            },
          );
          return session?.flows.find((f) => f._id === flowIds[1])?.status;
        })
        .toBe("completed");
    } finally {
      await page.close();
    }
  });
});
