import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { getRunningRun, insertMetrics } from "./model/records";

/** Records one model's metrics for a day. */
export const recordMetrics = mutation({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    metrics: v.any(),
  },
  returns: v.id("metrics"),
  handler: async (ctx, { metrics, ...at }) => {
    await getRunningRun(ctx, at.runId);
    return await insertMetrics(ctx, at, metrics);
  },
});

/** A page of one model's daily metrics, oldest day first. */
export const getMetrics = query({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    paginationOpts: paginationOptsValidator,
  },
  handler: async (ctx, { runId, modelId, paginationOpts }) => {
    return await ctx.db
      .query("metrics")
      .withIndex("by_run_model", (q) =>
        q.eq("runId", runId).eq("modelId", modelId),
      )
      .paginate(paginationOpts);
  },
});
