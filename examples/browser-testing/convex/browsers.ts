import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { browserStatus } from "./schema";

export const startBrowserSession = mutation({
  args: {
    sessionId: v.id("testSessions"),
    flowId: v.optional(v.id("testFlows")),
    browserType: v.string(),
  },
  returns: v.id("browserSessions"),
  handler: async (ctx, args) => {
    if ((await ctx.db.get(args.sessionId)) === null)
      throw new Error("Test session not found");
    const now = new Date().toISOString();
    return await ctx.db.insert("browserSessions", {
      ...args,
      status: "starting",
      startedAt: now,
      lastActivity: now,
    });
  },
});

/** Reports a browser's status (and the flow it now runs); also counts as activity. */
export const updateBrowserSession = mutation({
  args: {
    browserSessionId: v.id("browserSessions"),
    status: browserStatus,
    flowId: v.optional(v.id("testFlows")),
  },
  returns: v.null(),
  handler: async (ctx, { browserSessionId, status, flowId }) => {
    const browser = await ctx.db.get(browserSessionId);
    if (browser === null) throw new Error("Browser session not found");
    if (browser.status === "stopped")
      throw new Error("The browser session is stopped");
    await ctx.db.patch(browserSessionId, {
      status,
      lastActivity: new Date().toISOString(),
      ...(flowId !== undefined ? { flowId } : {}),
    });
    return null;
  },
});

export const listForSession = query({
  args: { sessionId: v.id("testSessions") },
  handler: async (ctx, { sessionId }) => {
    return await ctx.db
      .query("browserSessions")
      .withIndex("by_sessionId", (q) => q.eq("sessionId", sessionId))
      .collect();
  },
});
