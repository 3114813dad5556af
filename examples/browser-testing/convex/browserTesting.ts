import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { mutation, query } from "./_generated/server";
import { flowStatus } from "./schema";

const MAX_SESSIONS = 100;

/** The newest test sessions. */
export const listTestSessions = query({
  args: { limit: v.number() },
  handler: async (ctx, { limit }) => {
    return await ctx.db
      .query("testSessions")
      .order("desc")
      .take(Math.max(1, Math.min(limit, MAX_SESSIONS)));
  },
});

/** A session with its flows in execution order, or null if there is no such session. */
export const getTestSession = query({
  args: { sessionId: v.id("testSessions") },
  handler: async (ctx, { sessionId }) => {
    const session = await ctx.db.get(sessionId);
    if (session === null) return null;
    const flows = await ctx.db
      .query("testFlows")
      .withIndex("by_sessionId_order", (q) => q.eq("sessionId", sessionId))
      .collect();
    return { ...session, flows };
  },
});

export const createTestSession = mutation({
  args: { name: v.string(), prompt: v.string() },
  returns: v.id("testSessions"),
  handler: async (ctx, { name, prompt }) => {
    return await ctx.db.insert("testSessions", {
      name,
      prompt,
      status: "pending",
      createdAt: new Date().toISOString(),
      totalFlows: 0,
      completedFlows: 0,
    });
  },
});

/** Appends generated flows to a session (after any it already has); the session is then ready. */
export const createTestFlows = mutation({
  args: {
    sessionId: v.id("testSessions"),
    flows: v.array(
      v.object({
        name: v.string(),
        description: v.string(),
        instructions: v.string(),
      }),
    ),
  },
  returns: v.array(v.id("testFlows")),
  handler: async (ctx, { sessionId, flows }) => {
    const session = await mustGetSession(ctx, sessionId);
    if (session.status !== "pending" && session.status !== "generating") {
      throw new Error(`Cannot add flows to a ${session.status} session`);
    }
    const createdAt = new Date().toISOString();
    const flowIds: Id<"testFlows">[] = [];
    for (const [i, flow] of flows.entries()) {
      flowIds.push(
        await ctx.db.insert("testFlows", {
          sessionId,
          ...flow,
          approved: false,
          status: "pending",
          order: session.totalFlows + i + 1,
          createdAt,
        }),
      );
    }
    await ctx.db.patch(sessionId, {
      status: "ready",
      totalFlows: session.totalFlows + flows.length,
    });
    return flowIds;
  },
});

export const setSessionGenerating = mutation({
  args: { sessionId: v.id("testSessions") },
  returns: v.null(),
  handler: async (ctx, { sessionId }) => {
    const session = await mustGetSession(ctx, sessionId);
    if (session.status !== "pending")
      throw new Error(`Session is already ${session.status}`);
    await ctx.db.patch(sessionId, { status: "generating" });
    return null;
  },
});

export const approveFlow = mutation({
  args: { flowId: v.id("testFlows"), approved: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { flowId, approved }) => {
    const flow = await mustGetFlow(ctx, flowId);
    if (flow.status !== "pending")
      throw new Error(`Flow is already ${flow.status}`);
    await ctx.db.patch(flowId, { approved });
    return null;
  },
});

const NEXT: Record<
  Doc<"testFlows">["status"],
  readonly Doc<"testFlows">["status"][]
> = {
  pending: ["running"],
  running: ["completed", "failed"],
  completed: [],
  failed: [],
};

/**
 * Moves a flow along pending -> running -> completed | failed and keeps its session in step:
 * the first running flow starts the session, the last finished flow ends it (failed if any
 * flow failed).
 */
export const updateFlowStatus = mutation({
  args: {
    flowId: v.id("testFlows"),
    status: flowStatus,
    result: v.optional(v.string()),
    errorMessage: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { flowId, status, result, errorMessage }) => {
    const flow = await mustGetFlow(ctx, flowId);
    if (!NEXT[flow.status].includes(status)) {
      throw new Error(`A ${flow.status} flow cannot become ${status}`);
    }
    if (status === "running" && !flow.approved)
      throw new Error("Approve the flow first");
    const now = new Date().toISOString();
    if (status === "running") {
      await ctx.db.patch(flowId, { status, startedAt: now });
      const session = await mustGetSession(ctx, flow.sessionId);
      if (session.status === "ready") {
        await ctx.db.patch(session._id, { status: "running", startedAt: now });
      }
      return null;
    }
    await ctx.db.patch(flowId, {
      status,
      completedAt: now,
      ...(result !== undefined ? { result } : {}),
      ...(errorMessage !== undefined ? { errorMessage } : {}),
    });
    await finishFlowInSession(ctx, flow.sessionId, now);
    return null;
  },
});

async function finishFlowInSession(
  ctx: MutationCtx,
  sessionId: Id<"testSessions">,
  now: string,
) {
  const session = await mustGetSession(ctx, sessionId);
  const completedFlows = session.completedFlows + 1;
  if (completedFlows < session.totalFlows) {
    await ctx.db.patch(sessionId, { completedFlows });
    return;
  }
  const flows = await ctx.db
    .query("testFlows")
    .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
    .collect();
  const failed = flows.filter((f) => f.status === "failed").length;
  const actualDuration =
    session.startedAt === undefined
      ? undefined
      : Date.parse(now) - Date.parse(session.startedAt);
  await ctx.db.patch(sessionId, {
    completedFlows,
    status: failed > 0 ? "failed" : "completed",
    completedAt: now,
    metadata: {
      ...session.metadata,
      ...(actualDuration !== undefined ? { actualDuration } : {}),
      ...(failed > 0
        ? { errorMessage: `${failed} of ${flows.length} flows failed` }
        : {}),
    },
  });
}

async function mustGetSession(ctx: MutationCtx, sessionId: Id<"testSessions">) {
  const session = await ctx.db.get(sessionId);
  if (session === null) throw new Error(`Test session ${sessionId} not found`);
  return session;
}

async function mustGetFlow(ctx: MutationCtx, flowId: Id<"testFlows">) {
  const flow = await ctx.db.get(flowId);
  if (flow === null) throw new Error(`Test flow ${flowId} not found`);
  return flow;
}
