import { convexTest } from "hull/testing";
import { describe, expect, test } from "vitest";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

const modules = import.meta.glob("./**/*.ts");

type Harness = ReturnType<typeof convexTest>;

async function runningSession(t: Harness, workflowId: Id<"workflows">) {
  const running = await t.query(api.agents.listByWorkflowAndStatus, {
    workflowId,
    status: "running",
  });
  expect(running).toHaveLength(1);
  return running[0]!;
}

async function startedWorkflow(t: Harness, maxReviewRounds = 3) {
  const workflowId = await t.mutation(api.workflows.createWorkflow, {
    task: "Add a /health endpoint",
    maxReviewRounds,
  });
  const plannerId = await t.mutation(api.workflows.startWorkflow, {
    workflowId,
  });
  return { workflowId, plannerId };
}

describe("workflow state machine", () => {
  test("a new workflow is pending at the planner step with no sessions", async () => {
    const t = convexTest(schema, modules);
    const workflowId = await t.mutation(api.workflows.createWorkflow, {
      task: "Write docs",
    });
    const workflow = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(workflow).toMatchObject({
      status: "pending",
      currentStep: "planner",
      reviewRounds: 0,
    });
    expect(
      await t.query(api.agents.listSessionsByWorkflow, { workflowId }),
    ).toEqual([]);
  });

  test("planner, coder and an approving reviewer complete the workflow", async () => {
    const t = convexTest(schema, modules);
    const { workflowId, plannerId } = await startedWorkflow(t);

    await t.mutation(api.agents.completeSession, {
      sessionId: plannerId,
      output: { agentType: "planner", plan: "1. route 2. test" },
    });
    const coder = await runningSession(t, workflowId);
    expect(coder).toMatchObject({
      agentType: "coder",
      input: "1. route 2. test",
      language: "typescript",
    });

    await t.mutation(api.agents.completeSession, {
      sessionId: coder._id,
      output: { agentType: "coder", code: "app.get('/health')" },
    });
    const reviewer = await runningSession(t, workflowId);
    expect(reviewer).toMatchObject({
      agentType: "reviewer",
      input: "app.get('/health')",
    });

    await t.mutation(api.agents.completeSession, {
      sessionId: reviewer._id,
      output: { agentType: "reviewer", review: "LGTM", approved: true },
    });
    const workflow = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(workflow).toMatchObject({
      status: "completed",
      currentStep: "done",
    });
    const sessions = await t.query(api.agents.listSessionsByWorkflow, {
      workflowId,
    });
    expect(sessions.map((s) => [s.agentType, s.status])).toEqual([
      ["planner", "completed"],
      ["coder", "completed"],
      ["reviewer", "completed"],
    ]);
  });

  test("a rejecting review sends the work back to the coder, up to maxReviewRounds", async () => {
    const t = convexTest(schema, modules);
    const { workflowId, plannerId } = await startedWorkflow(t, 2);
    await t.mutation(api.agents.completeSession, {
      sessionId: plannerId,
      output: { agentType: "planner", plan: "plan" },
    });
    for (let round = 1; round <= 2; round++) {
      const coder = await runningSession(t, workflowId);
      await t.mutation(api.agents.completeSession, {
        sessionId: coder._id,
        output: { agentType: "coder", code: `attempt ${round}` },
      });
      const reviewer = await runningSession(t, workflowId);
      await t.mutation(api.agents.completeSession, {
        sessionId: reviewer._id,
        output: {
          agentType: "reviewer",
          review: "missing tests",
          approved: false,
        },
      });
    }
    const workflow = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(workflow).toMatchObject({ status: "failed", reviewRounds: 2 });
    expect(workflow?.error).toBe("Review rejected the code 2 times");
    const coders = await t.run((ctx) =>
      ctx.db
        .query("agentSessions")
        .withIndex("by_workflow_and_agentType", (q) =>
          q.eq("workflowId", workflowId).eq("agentType", "coder"),
        )
        .collect(),
    );
    expect(coders).toHaveLength(2);
    expect(coders[1]?.input).toContain("missing tests");
  });

  test("a failed agent fails its workflow", async () => {
    const t = convexTest(schema, modules);
    const { workflowId, plannerId } = await startedWorkflow(t);
    await t.mutation(api.agents.failSession, {
      sessionId: plannerId,
      error: "rate limited",
    });
    const workflow = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(workflow).toMatchObject({
      status: "failed",
      error: "planner failed: rate limited",
    });
  });

  test("illegal transitions are refused and change nothing", async () => {
    const t = convexTest(schema, modules);
    const { workflowId, plannerId } = await startedWorkflow(t);
    await expect(
      t.mutation(api.workflows.startWorkflow, { workflowId }),
    ).rejects.toThrow(/is in_progress, not pending/);
    await expect(
      t.mutation(api.agents.completeSession, {
        sessionId: plannerId,
        output: { agentType: "coder", code: "wrong agent" },
      }),
    ).rejects.toThrow(/cannot return coder output/);
    await t.mutation(api.agents.completeSession, {
      sessionId: plannerId,
      output: { agentType: "planner", plan: "plan" },
    });
    await expect(
      t.mutation(api.agents.completeSession, {
        sessionId: plannerId,
        output: { agentType: "planner", plan: "again" },
      }),
    ).rejects.toThrow(/is completed, not running/);
    const workflow = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(workflow).toMatchObject({
      status: "in_progress",
      currentStep: "coder",
    });
  });

  test("updates keep the creation time and move updatedAt forward", async () => {
    const t = convexTest(schema, modules);
    const { workflowId } = await startedWorkflow(t);
    const before = await t.query(api.workflows.getWorkflow, { workflowId });
    await t.mutation(api.workflows.addArtifact, {
      workflowId,
      path: "src/health.ts",
    });
    await t.mutation(api.workflows.addArtifact, {
      workflowId,
      path: "src/health.ts",
    });
    const after = await t.query(api.workflows.getWorkflow, { workflowId });
    expect(after?.artifacts).toEqual(["src/health.ts"]);
    expect(after?.metadata.createdAt).toBe(before?.metadata.createdAt);
    expect(after!.metadata.updatedAt).toBeGreaterThanOrEqual(
      before!.metadata.updatedAt,
    );
  });
});

describe("workflow listing", () => {
  test("pages through workflows of one status with a cursor", async () => {
    const t = convexTest(schema, modules);
    for (let i = 0; i < 5; i++) {
      await t.mutation(api.workflows.createWorkflow, { task: `task ${i}` });
    }
    const first = await t.query(api.workflows.listWorkflows, {
      status: "pending",
      paginationOpts: { numItems: 3, cursor: null },
    });
    expect(first.page).toHaveLength(3);
    expect(first.isDone).toBe(false);
    const second = await t.query(api.workflows.listWorkflows, {
      status: "pending",
      paginationOpts: { numItems: 3, cursor: first.continueCursor },
    });
    expect(second.page).toHaveLength(2);
    expect(second.isDone).toBe(true);
    const tasks = [...first.page, ...second.page].map((w) => w.task);
    expect(new Set(tasks).size).toBe(5);
    const running = await t.query(api.workflows.listWorkflows, {
      status: "in_progress",
      paginationOpts: { numItems: 3, cursor: null },
    });
    expect(running.page).toEqual([]);
  });
});
