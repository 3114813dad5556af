import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { AgentSession } from "./agents";
import { createAgentSession } from "./agents";

export type Workflow = Doc<"workflows">;

/**
 * The workflow state machine. A workflow runs its agents in sequence, one session per step:
 *
 *   pending --start--> in_progress/planner --plan--> in_progress/coder --code--> in_progress/reviewer
 *                                                        ^                           |
 *                                                        +------ rejected ----------+ (reviewRounds + 1)
 *   in_progress/reviewer --approved--> completed/done
 *   in_progress/any --agent failed | reviewRounds reached maxReviewRounds--> failed
 *
 * Only the step's own running session can move a workflow on.
 */
export async function createWorkflow(
  ctx: MutationCtx,
  args: { task: string; language: string; maxReviewRounds: number },
): Promise<Id<"workflows">> {
  if (args.maxReviewRounds < 1)
    throw new Error("maxReviewRounds must be at least 1");
  const now = Date.now();
  return await ctx.db.insert("workflows", {
    ...args,
    status: "pending",
    currentStep: "planner",
    reviewRounds: 0,
    artifacts: [],
    metadata: { createdAt: now, updatedAt: now },
  });
}

export async function getWorkflow(ctx: QueryCtx, workflowId: Id<"workflows">) {
  return await ctx.db.get(workflowId);
}

export async function mustGetWorkflow(
  ctx: QueryCtx,
  workflowId: Id<"workflows">,
) {
  const workflow = await ctx.db.get(workflowId);
  if (workflow === null) throw new Error(`Workflow ${workflowId} not found`);
  return workflow;
}

/** Patches a workflow and bumps `metadata.updatedAt`, keeping `createdAt`. */
async function update(
  ctx: MutationCtx,
  workflow: Workflow,
  fields: Partial<Omit<Workflow, "_id" | "_creationTime" | "metadata">>,
) {
  await ctx.db.patch(workflow._id, {
    ...fields,
    metadata: { ...workflow.metadata, updatedAt: Date.now() },
  });
}

/** pending -> in_progress: starts the planner on the task. */
export async function startWorkflow(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
) {
  const workflow = await mustGetWorkflow(ctx, workflowId);
  if (workflow.status !== "pending") {
    throw new Error(
      `Workflow ${workflowId} is ${workflow.status}, not pending`,
    );
  }
  await update(ctx, workflow, {
    status: "in_progress",
    currentStep: "planner",
  });
  return await createAgentSession(
    ctx,
    workflowId,
    { agentType: "planner" },
    workflow.task,
  );
}

function mustBeAtStepOf(workflow: Workflow, session: AgentSession) {
  if (
    workflow.status !== "in_progress" ||
    workflow.currentStep !== session.agentType
  ) {
    throw new Error(
      `Workflow ${workflow._id} is ${workflow.status} at ${workflow.currentStep}, ` +
        `not waiting for a ${session.agentType}`,
    );
  }
}

/** Moves the workflow on after its current step's session completed. */
export async function advanceAfter(ctx: MutationCtx, session: AgentSession) {
  const workflow = await mustGetWorkflow(ctx, session.workflowId);
  mustBeAtStepOf(workflow, session);
  switch (session.agentType) {
    case "planner":
      await update(ctx, workflow, { currentStep: "coder" });
      await createAgentSession(
        ctx,
        workflow._id,
        { agentType: "coder", language: workflow.language },
        session.plan ?? workflow.task,
      );
      return;
    case "coder":
      await update(ctx, workflow, { currentStep: "reviewer" });
      await createAgentSession(
        ctx,
        workflow._id,
        { agentType: "reviewer" },
        session.code ?? "",
      );
      return;
    case "reviewer":
      await afterReview(ctx, workflow, session);
      return;
  }
}

async function afterReview(
  ctx: MutationCtx,
  workflow: Workflow,
  review: Extract<AgentSession, { agentType: "reviewer" }>,
) {
  if (review.approved === true) {
    await update(ctx, workflow, { status: "completed", currentStep: "done" });
    return;
  }
  const reviewRounds = workflow.reviewRounds + 1;
  if (reviewRounds >= workflow.maxReviewRounds) {
    await update(ctx, workflow, {
      status: "failed",
      reviewRounds,
      error: `Review rejected the code ${reviewRounds} times`,
    });
    return;
  }
  await update(ctx, workflow, { currentStep: "coder", reviewRounds });
  await createAgentSession(
    ctx,
    workflow._id,
    { agentType: "coder", language: workflow.language },
    `Address this review:\n${review.review ?? ""}\n\nCode under review:\n${review.input}`,
  );
}

/** Fails the workflow because its current step's session failed. */
export async function failAfter(
  ctx: MutationCtx,
  session: AgentSession,
  error: string,
) {
  const workflow = await mustGetWorkflow(ctx, session.workflowId);
  mustBeAtStepOf(workflow, session);
  await update(ctx, workflow, {
    status: "failed",
    error: `${session.agentType} failed: ${error}`,
  });
}

/** Records a file an agent produced; only while the workflow runs. */
export async function addArtifact(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  path: string,
) {
  const workflow = await mustGetWorkflow(ctx, workflowId);
  if (workflow.status !== "in_progress") {
    throw new Error(
      `Workflow ${workflowId} is ${workflow.status}, not in progress`,
    );
  }
  if (!workflow.artifacts.includes(path)) {
    await update(ctx, workflow, { artifacts: [...workflow.artifacts, path] });
  }
}
