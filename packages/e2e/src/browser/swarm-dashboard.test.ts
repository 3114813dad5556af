import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../../../examples/swarm/convex/_generated/api.js";
import {
  deployExample,
  EXAMPLES_DIR,
  expectSuccess,
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
let page: Page;

beforeAll(async () => {
  if (skip) return;
  deployed = await deployExample("swarm");
  expectSuccess(await deployed.cli(["run", "demo:seed"]));
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
  served = await buildAndServe(
    path.join(EXAMPLES_DIR, "swarm"),
    deployed.hull.url,
  );
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(served.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await deployed?.[Symbol.asyncDispose]();
});

const text = (id: string) => page.getByTestId(id).textContent();

describe.skipIf(skip)("the Swarm dashboard in headless Chromium", () => {
  test("statistics and the queue follow a ticket created from Node", async () => {
    await expect.poll(() => text("stat-total")).toBe("8");
    expect(await text("stat-pending")).toBe("2");
    const ticketId = await client.mutation(api.mutations.tickets.create, {
      title: "Ticket from Node",
      priority: 9,
    });
    await client.mutation(api.mutations.tickets.setState, {
      ticketId,
      state: "pending",
    });
    await expect.poll(() => text("stat-total")).toBe("9");
    await expect.poll(() => text("stat-pending")).toBe("3");
    await expect.poll(() => text("ticket-queue")).toContain("Ticket from Node");
  });

  test("the HITL chat shows an assistant's message from Node, and sends the user's", async () => {
    const chat = page.getByTestId("hitl-chat");
    await chat.waitFor();
    const [session] = await client.query(api.queries.hitl.listOpen, {});
    await client.mutation(api.mutations.hitl.sendMessage, {
      sessionId: session!._id,
      role: "assistant",
      content: "GitHub and Google, please?",
    });
    await expect
      .poll(() => chat.textContent())
      .toContain("GitHub and Google, please?");
    await chat.getByLabel("Message").fill("Yes, both.");
    await chat.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(async () =>
        (
          await client.query(api.queries.hitl.getMessages, {
            sessionId: session!._id,
          })
        ).map((m) => `${m.role}: ${m.content}`),
      )
      .toContain("user: Yes, both.");
  });
});
