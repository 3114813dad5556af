/**
 * Creates a demo test session with three approved flows through `ConvexHttpClient`, and can
 * drive one flow's status: what an end-to-end test does before watching the page update.
 *
 *   node --import tsx scripts/demo-session.ts --url http://127.0.0.1:3210
 */
import { ConvexHttpClient } from "convex/browser";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { api } from "../convex/_generated/api.js";
import type { Id } from "../convex/_generated/dataModel.js";

const FLOWS = [
  {
    name: "Sign up",
    description: "A new user signs up",
    instructions: "Open /signup, fill the form, submit.",
  },
  {
    name: "Log in",
    description: "The user logs in",
    instructions: "Open /login and log in.",
  },
  {
    name: "Checkout",
    description: "The user buys one item",
    instructions: "Add an item to the cart and pay.",
  },
];

/** Creates the session and its flows, approves every flow, and returns their ids. */
export async function createDemoSession(
  client: ConvexHttpClient,
  name = "Demo shop",
) {
  const sessionId = await client.mutation(
    api.browserTesting.createTestSession,
    {
      name,
      prompt: "Test the demo shop's main user journeys",
    },
  );
  const flowIds = await client.mutation(api.browserTesting.createTestFlows, {
    sessionId,
    flows: FLOWS,
  });
  for (const flowId of flowIds) {
    await client.mutation(api.browserTesting.approveFlow, {
      flowId,
      approved: true,
    });
  }
  return { sessionId, flowIds };
}

/** Runs one flow to the end: running, then completed (or failed with a message). */
export async function runFlow(
  client: ConvexHttpClient,
  flowId: Id<"testFlows">,
  pass = true,
) {
  await client.mutation(api.browserTesting.updateFlowStatus, {
    flowId,
    status: "running",
  });
  await client.mutation(
    api.browserTesting.updateFlowStatus,
    pass
      ? { flowId, status: "completed", result: "ok" }
      : { flowId, status: "failed", errorMessage: "assertion failed" },
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { url: { type: "string" } } });
  const url =
    values.url ?? process.env.CONVEX_URL ?? process.env.CONVEX_SELF_HOSTED_URL;
  if (url === undefined) throw new Error("Pass --url or set CONVEX_URL");
  const client = new ConvexHttpClient(url);
  const { sessionId, flowIds } = await createDemoSession(client);
  await runFlow(client, flowIds[0]!);
  console.log(
    `Session ${sessionId}: flows ${flowIds.join(", ")} (the first one completed)`,
  );
}
