import { v } from "convex/values";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { mutation } from "../_generated/server";
import { hitlRole } from "../schema";

async function logEvent(
  ctx: MutationCtx,
  sessionId: Id<"hitlSessions">,
  eventType: string,
  payload?: unknown,
) {
  await ctx.db.insert("hitlEvents", {
    sessionId,
    eventType,
    payload,
    createdAt: Date.now(),
  });
}

export const createSession = mutation({
  args: {
    type: v.union(
      v.literal("design"),
      v.literal("review"),
      v.literal("approval"),
      v.literal("clarification"),
    ),
    ticketId: v.optional(v.id("tickets")),
    projectId: v.optional(v.id("projects")),
    projectName: v.optional(v.string()),
    description: v.optional(v.string()),
    question: v.optional(v.string()),
    tenantId: v.optional(v.string()),
  },
  returns: v.id("hitlSessions"),
  handler: async (ctx, args) => {
    const now = Date.now();
    const sessionId = await ctx.db.insert("hitlSessions", {
      ...args,
      state: "active",
      clarificationCount: 0,
      createdAt: now,
      updatedAt: now,
    });
    await logEvent(ctx, sessionId, "session_created", { type: args.type });
    return sessionId;
  },
});

/** Appends a chat message; a user's message puts a waiting session back to active. */
export const sendMessage = mutation({
  args: {
    sessionId: v.id("hitlSessions"),
    role: hitlRole,
    content: v.string(),
    metadata: v.optional(v.any()),
  },
  returns: v.id("hitlMessages"),
  handler: async (ctx, { sessionId, role, content, metadata }) => {
    const session = await ctx.db.get(sessionId);
    if (session === null) throw new Error("HITL session not found");
    if (session.state === "resolved" || session.state === "cancelled") {
      throw new Error(`The session is ${session.state}`);
    }
    if (content.trim() === "") throw new Error("Empty message");
    const now = Date.now();
    const messageId = await ctx.db.insert("hitlMessages", {
      sessionId,
      role,
      content,
      metadata,
      createdAt: now,
    });
    await ctx.db.patch(sessionId, {
      updatedAt: now,
      ...(role === "user"
        ? { state: "active" as const }
        : { state: "waiting" as const }),
    });
    return messageId;
  },
});

export const resolve = mutation({
  args: {
    sessionId: v.id("hitlSessions"),
    state: v.union(v.literal("resolved"), v.literal("cancelled")),
    response: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { sessionId, state, response }) => {
    const session = await ctx.db.get(sessionId);
    if (session === null) throw new Error("HITL session not found");
    const now = Date.now();
    await ctx.db.patch(sessionId, {
      state,
      response,
      resolvedAt: now,
      updatedAt: now,
    });
    await logEvent(ctx, sessionId, `session_${state}`);
    return null;
  },
});
