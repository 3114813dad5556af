import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { logLevel } from "./schema";

export const addLog = mutation({
  args: {
    sessionId: v.id("testSessions"),
    flowId: v.optional(v.id("testFlows")),
    browserSessionId: v.optional(v.id("browserSessions")),
    level: logLevel,
    message: v.string(),
    data: v.optional(v.any()),
  },
  returns: v.id("executionLogs"),
  handler: async (ctx, args) => {
    return await ctx.db.insert("executionLogs", {
      ...args,
      timestamp: new Date().toISOString(),
    });
  },
});

/** A session's log, newest first, a page at a time. */
export const listForSession = query({
  args: {
    sessionId: v.id("testSessions"),
    paginationOpts: paginationOptsValidator,
  },
  handler: async (ctx, { sessionId, paginationOpts }) => {
    return await ctx.db
      .query("executionLogs")
      .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
      .order("desc")
      .paginate(paginationOpts);
  },
});

/** The newest log lines of one flow. */
export const listForFlow = query({
  args: { flowId: v.id("testFlows"), limit: v.optional(v.number()) },
  handler: async (ctx, { flowId, limit }) => {
    return await ctx.db
      .query("executionLogs")
      .withIndex("by_flowId", (q) => q.eq("flowId", flowId))
      .order("desc")
      .take(Math.min(limit ?? 50, 200));
  },
});
