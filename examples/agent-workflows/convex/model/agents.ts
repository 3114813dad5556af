import type { Infer } from "convex/values";
import { v } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";

export type AgentSession = Doc<"agentSessions">;
export type AgentType = AgentSession["agentType"];

/** What a finished agent hands back; the variant must match the session's agent. */
export const agentOutput = v.union(
  v.object({ agentType: v.literal("planner"), plan: v.string() }),
  v.object({ agentType: v.literal("coder"), code: v.string() }),
  v.object({
    agentType: v.literal("reviewer"),
    review: v.string(),
    approved: v.boolean(),
  }),
);
export type AgentOutput = Infer<typeof agentOutput>;

/** Which agent to start, with what the variant needs. */
export type AgentSpec =
  | { agentType: "planner" }
  | { agentType: "coder"; language: string }
  | { agentType: "reviewer" };

/** Starts an agent session for a workflow step; it begins `running`. */
export async function createAgentSession(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  spec: AgentSpec,
  input: string,
): Promise<Id<"agentSessions">> {
  return await ctx.db.insert("agentSessions", {
    ...spec,
    workflowId,
    input,
    status: "running",
    startedAt: Date.now(),
  });
}

export async function getAgentSession(
  ctx: QueryCtx,
  sessionId: Id<"agentSessions">,
) {
  return await ctx.db.get(sessionId);
}

export async function mustGetAgentSession(
  ctx: QueryCtx,
  sessionId: Id<"agentSessions">,
) {
  const session = await ctx.db.get(sessionId);
  if (session === null) throw new Error(`Agent session ${sessionId} not found`);
  return session;
}

function mustBeRunning(session: AgentSession) {
  if (session.status !== "running") {
    throw new Error(
      `Agent session ${session._id} is ${session.status}, not running`,
    );
  }
}

/** Records a running session's output and marks it completed; returns the updated session. */
export async function completeAgentSession(
  ctx: MutationCtx,
  session: AgentSession,
  output: AgentOutput,
): Promise<AgentSession> {
  mustBeRunning(session);
  if (output.agentType !== session.agentType) {
    throw new Error(
      `A ${session.agentType} session cannot return ${output.agentType} output`,
    );
  }
  const { agentType: _, ...fields } = output;
  await ctx.db.patch(session._id, {
    ...fields,
    status: "completed",
    completedAt: Date.now(),
  });
  return (await ctx.db.get(session._id))!;
}

/** Marks a running session failed with its error. */
export async function failAgentSession(
  ctx: MutationCtx,
  session: AgentSession,
  error: string,
) {
  mustBeRunning(session);
  await ctx.db.patch(session._id, {
    status: "failed",
    error,
    completedAt: Date.now(),
  });
}

/** The sessions of one workflow, oldest first (a workflow has a handful). */
export async function listForWorkflow(
  ctx: QueryCtx,
  workflowId: Id<"workflows">,
) {
  return await ctx.db
    .query("agentSessions")
    .withIndex("by_workflow", (q) => q.eq("workflowId", workflowId))
    .collect();
}
