import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../../../examples/browser-testing/convex/_generated/api.js";
import {
  createDemoSession,
  runFlow,
} from "../../../../examples/browser-testing/scripts/demo-session.js";
import { deployExample, type DeployedExample } from "../example-app.js";

let deployed: DeployedExample;
let client: ConvexHttpClient;

beforeAll(async () => {
  deployed = await deployExample("browser-testing");
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

describe("the browser-testing example", () => {
  test("a session's flows run to the end and a live watcher sees the session finish", async () => {
    const { sessionId, flowIds } = await createDemoSession(client, "Flows");
    expect(flowIds).toHaveLength(3);
    const watcher = new ConvexClient(deployed.hull.url, { logger: false });
    const statuses: string[] = [];
    const unsubscribe = watcher.onUpdate(
      api.browserTesting.getTestSession,
      { sessionId },
      (session) => {
        if (session !== null && statuses.at(-1) !== session.status)
          statuses.push(session.status);
      },
    );
    try {
      await expect.poll(() => statuses[0], { timeout: 10_000 }).toBe("ready");
      await runFlow(client, flowIds[0]!);
      await runFlow(client, flowIds[1]!, false);
      await runFlow(client, flowIds[2]!);
      const session = await client.query(api.browserTesting.getTestSession, {
        sessionId,
      });
      expect(session).toMatchObject({
        status: "failed",
        totalFlows: 3,
        completedFlows: 3,
      });
      expect(session?.flows.map((f) => f.status)).toEqual([
        "completed",
        "failed",
        "completed",
      ]);
      await expect
        .poll(() => statuses.at(-1), { timeout: 10_000 })
        .toBe("failed");
      expect(statuses).toContain("running");
    } finally {
      unsubscribe();
      await watcher.close();
    }
  });

  test("a flow cannot finish before it runs, nor run unapproved; sessions are listed", async () => {
    const { sessionId, flowIds } = await createDemoSession(client, "Refusals");
    await expect(
      client.mutation(api.browserTesting.updateFlowStatus, {
        flowId: flowIds[0]!,
        status: "completed",
      }),
    ).rejects.toThrow();
    await client.mutation(api.browserTesting.approveFlow, {
      flowId: flowIds[1]!,
      approved: false,
    });
    await expect(
      client.mutation(api.browserTesting.updateFlowStatus, {
        flowId: flowIds[1]!,
        status: "running",
      }),
    ).rejects.toThrow();
    const sessions = await client.query(api.browserTesting.listTestSessions, {
      limit: 1000,
    });
    expect(sessions.map((s) => s._id)).toContain(sessionId);
  });
});
