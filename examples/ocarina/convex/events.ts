import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { getRunningRun, insertEvent } from "./model/records";

/** Logs a scenario event for a day of a run. */
export const logEvent = mutation({
  args: {
    runId: v.id("runs"),
    day: v.number(),
    type: v.string(),
    data: v.any(),
  },
  returns: v.id("events"),
  handler: async (ctx, { runId, day, type, data }) => {
    await getRunningRun(ctx, runId);
    return await insertEvent(ctx, runId, day, { type, data });
  },
});

/** The newest events of one type in a run. */
export const listByType = query({
  args: {
    runId: v.id("runs"),
    type: v.string(),
    limit: v.optional(v.number()),
  },
  handler: async (ctx, { runId, type, limit }) => {
    return await ctx.db
      .query("events")
      .withIndex("by_run_type", (q) => q.eq("runId", runId).eq("type", type))
      .order("desc")
      .take(limit ?? 50);
  },
});
