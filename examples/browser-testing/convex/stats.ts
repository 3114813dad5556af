import { v } from "convex/values";
import { internalMutation, query } from "./_generated/server";

const ACTIVE_BROWSER = ["starting", "ready", "running", "idle"] as const;

/**
 * Records a snapshot of the system: running sessions, live browsers, and the running total of
 * finished flows (the previous snapshot's total plus the flows finished since it). Each count is
 * an index range, so a snapshot costs the same however much history there is.
 */
export const takeSnapshot = internalMutation({
  args: {},
  returns: v.id("systemStats"),
  handler: async (ctx) => {
    const previous = await ctx.db
      .query("systemStats")
      .withIndex("by_timestamp")
      .order("desc")
      .first();
    const running = await ctx.db
      .query("testSessions")
      .withIndex("by_status", (q) => q.eq("status", "running"))
      .collect();
    let activeBrowsers = 0;
    for (const status of ACTIVE_BROWSER) {
      const browsers = await ctx.db
        .query("browserSessions")
        .withIndex("by_status", (q) => q.eq("status", status))
        .collect();
      activeBrowsers += browsers.length;
    }
    const finishedSince = await ctx.db
      .query("testFlows")
      .withIndex("by_completedAt", (q) =>
        previous === null
          ? q.gt("completedAt", "")
          : q.gt("completedAt", previous.timestamp),
      )
      .collect();
    return await ctx.db.insert("systemStats", {
      timestamp: new Date().toISOString(),
      activeSessions: running.length,
      activeBrowsers,
      totalFlowsExecuted:
        (previous?.totalFlowsExecuted ?? 0) + finishedSince.length,
    });
  },
});

export const latest = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db
      .query("systemStats")
      .withIndex("by_timestamp")
      .order("desc")
      .first();
  },
});
