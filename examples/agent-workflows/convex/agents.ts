import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import * as Agents from "./model/agents";
import * as Workflows from "./model/workflows";
import { sessionStatus } from "./schema";

export const getAgentSession = query({
  args: { sessionId: v.id("agentSessions") },
  handler: async (ctx, { sessionId }) => {
    return await Agents.getAgentSession(ctx, sessionId);
  },
});

/** A workflow's sessions, oldest first: the monitor's live view of the agents. */
export const listSessionsByWorkflow = query({
  args: { workflowId: v.id("workflows") },
  handler: async (ctx, { workflowId }) => {
    return await Agents.listForWorkflow(ctx, workflowId);
  },
});

/** The running (or idle, failed...) sessions of one workflow, via the compound index. */
export const listByWorkflowAndStatus = query({
  args: { workflowId: v.id("workflows"), status: sessionStatus },
  handler: async (ctx, { workflowId, status }) => {
    return await ctx.db
      .query("agentSessions")
      .withIndex("by_workflow_and_status", (q) =>
        q.eq("workflowId", workflowId).eq("status", status),
      )
      .collect();
  },
});

/** All sessions in one status across workflows, newest first, a page at a time. */
export const listByStatus = query({
  args: { status: sessionStatus, paginationOpts: paginationOptsValidator },
  handler: async (ctx, { status, paginationOpts }) => {
    return await ctx.db
      .query("agentSessions")
      .withIndex("by_status", (q) => q.eq("status", status))
      .order("desc")
      .paginate(paginationOpts);
  },
});

/** The agent process reports the Claude SDK session it runs in. */
export const setSdkSessionId = mutation({
  args: { sessionId: v.id("agentSessions"), sdkSessionId: v.string() },
  returns: v.null(),
  handler: async (ctx, { sessionId, sdkSessionId }) => {
    await Agents.mustGetAgentSession(ctx, sessionId);
    await ctx.db.patch(sessionId, { sdkSessionId });
    return null;
  },
});

/** An agent finished: records its output and moves its workflow to the next step. */
export const completeSession = mutation({
  args: { sessionId: v.id("agentSessions"), output: Agents.agentOutput },
  returns: v.null(),
  handler: async (ctx, { sessionId, output }) => {
    const session = await Agents.mustGetAgentSession(ctx, sessionId);
    const completed = await Agents.completeAgentSession(ctx, session, output);
    await Workflows.advanceAfter(ctx, completed);
    return null;
  },
});

/** An agent failed: records the error and fails its workflow. */
export const failSession = mutation({
  args: { sessionId: v.id("agentSessions"), error: v.string() },
  returns: v.null(),
  handler: async (ctx, { sessionId, error }) => {
    const session = await Agents.mustGetAgentSession(ctx, sessionId);
    await Agents.failAgentSession(ctx, session, error);
    await Workflows.failAfter(ctx, session, error);
    return null;
  },
});
