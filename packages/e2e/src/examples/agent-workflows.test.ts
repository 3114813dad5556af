import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../../../examples/agent-workflows/convex/_generated/api.js";
import type { Id } from "../../../../examples/agent-workflows/convex/_generated/dataModel.js";
import { deployExample, type DeployedExample } from "../example-app.js";

let deployed: DeployedExample;
let client: ConvexHttpClient;

beforeAll(async () => {
  deployed = await deployExample("agent-workflows");
  client = new ConvexHttpClient(deployed.hull.url, { logger: false });
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

/** The one running session of a workflow (the step's agent). */
async function runningSession(workflowId: Id<"workflows">) {
  const running = await client.query(api.agents.listByWorkflowAndStatus, {
    workflowId,
    status: "running",
  });
  expect(running).toHaveLength(1);
  return running[0]!;
}

describe("the agent-workflows example", () => {
  test("a workflow goes planner, coder, reviewer, back to the coder once, and completes; a monitor sees every step live", async () => {
    const workflowId = await client.mutation(api.workflows.createWorkflow, {
      task: "Add a health endpoint",
      maxReviewRounds: 3,
    });
    const monitor = new ConvexClient(deployed.hull.url, { logger: false });
    const seen: string[] = [];
    const unsubscribe = monitor.onUpdate(
      api.workflows.getWorkflow,
      { workflowId },
      (workflow) => {
        if (workflow === null) return;
        const step = `${workflow.status}/${workflow.currentStep}/${workflow.reviewRounds}`;
        if (seen.at(-1) !== step) seen.push(step);
      },
    );
    try {
      const plannerId = await client.mutation(api.workflows.startWorkflow, {
        workflowId,
      });
      expect(await runningSession(workflowId)).toMatchObject({
        _id: plannerId,
        agentType: "planner",
      });
      await client.mutation(api.agents.setSdkSessionId, {
        sessionId: plannerId,
        sdkSessionId: "sdk-1",
      });
      await client.mutation(api.agents.completeSession, {
        sessionId: plannerId,
        output: { agentType: "planner", plan: "1. route 2. test" },
      });
      const coder = await runningSession(workflowId);
      expect(coder).toMatchObject({
        agentType: "coder",
        language: "typescript",
      });
      await client.mutation(api.agents.completeSession, {
        sessionId: coder._id,
        output: { agentType: "coder", code: "export const health = 1;" },
      });
      const reviewer = await runningSession(workflowId);
      expect(reviewer.agentType).toBe("reviewer");
      await client.mutation(api.agents.completeSession, {
        sessionId: reviewer._id,
        output: {
          agentType: "reviewer",
          review: "Add a test",
          approved: false,
        },
      });
      const coder2 = await runningSession(workflowId);
      expect(coder2.agentType).toBe("coder");
      await client.mutation(api.agents.completeSession, {
        sessionId: coder2._id,
        output: { agentType: "coder", code: "export const health = 2;" },
      });
      const reviewer2 = await runningSession(workflowId);
      await client.mutation(api.agents.completeSession, {
        sessionId: reviewer2._id,
        output: { agentType: "reviewer", review: "LGTM", approved: true },
      });

      const workflow = await client.query(api.workflows.getWorkflow, {
        workflowId,
      });
      expect(workflow).toMatchObject({
        status: "completed",
        currentStep: "done",
        reviewRounds: 1,
      });
      const sessions = await client.query(api.agents.listSessionsByWorkflow, {
        workflowId,
      });
      expect(sessions.map((s) => `${s.agentType}:${s.status}`)).toEqual([
        "planner:completed",
        "coder:completed",
        "reviewer:completed",
        "coder:completed",
        "reviewer:completed",
      ]);
      await expect
        .poll(() => seen.at(-1), { timeout: 10_000 })
        .toBe("completed/done/1");
      expect(seen[0]).toBe("pending/planner/0");
    } finally {
      unsubscribe();
      await monitor.close();
    }
  });

  test("a finished session cannot move the workflow again, and an output must match its agent", async () => {
    const workflowId = await client.mutation(api.workflows.createWorkflow, {
      task: "Refused transitions",
    });
    const plannerId = await client.mutation(api.workflows.startWorkflow, {
      workflowId,
    });
    await expect(
      client.mutation(api.agents.completeSession, {
        sessionId: plannerId,
        output: { agentType: "coder", code: "nope" },
      }),
    ).rejects.toThrow();
    await client.mutation(api.agents.completeSession, {
      sessionId: plannerId,
      output: { agentType: "planner", plan: "plan" },
    });
    await expect(
      client.mutation(api.agents.completeSession, {
        sessionId: plannerId,
        output: { agentType: "planner", plan: "again" },
      }),
    ).rejects.toThrow();
    await expect(
      client.mutation(api.workflows.startWorkflow, { workflowId }),
    ).rejects.toThrow();
    expect(
      await client.query(api.workflows.getWorkflow, { workflowId }),
    ).toMatchObject({ status: "in_progress", currentStep: "coder" });
  });

  test("a failing agent fails its workflow, and workflows page by status", async () => {
    const workflowId = await client.mutation(api.workflows.createWorkflow, {
      task: "Doomed",
    });
    const plannerId = await client.mutation(api.workflows.startWorkflow, {
      workflowId,
    });
    await client.mutation(api.agents.failSession, {
      sessionId: plannerId,
      error: "model overloaded",
    });
    expect(
      await client.query(api.workflows.getWorkflow, { workflowId }),
    ).toMatchObject({ status: "failed" });
    expect(
      await client.query(api.agents.getAgentSession, { sessionId: plannerId }),
    ).toMatchObject({ status: "failed" });

    for (let i = 0; i < 3; i++) {
      await client.mutation(api.workflows.createWorkflow, {
        task: `queued ${i}`,
      });
    }
    const ids: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: {
        page: { _id: string }[];
        isDone: boolean;
        continueCursor: string;
      } = await client.query(api.workflows.listWorkflows, {
        status: "pending",
        paginationOpts: { numItems: 2, cursor },
      });
      ids.push(...page.page.map((w) => w._id));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });
});
