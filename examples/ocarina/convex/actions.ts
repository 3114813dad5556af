import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { getRunningRun, insertAction } from "./model/records";

/** Logs one tool execution. */
export const logAction = mutation({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    toolName: v.string(),
    params: v.any(),
    result: v.any(),
    success: v.boolean(),
  },
  returns: v.id("actions"),
  handler: async (ctx, { runId, modelId, day, ...action }) => {
    await getRunningRun(ctx, runId);
    return await insertAction(ctx, { runId, modelId, day }, action);
  },
});

/** The tool executions of one model on one day. */
export const listForModelDay = query({
  args: { runId: v.id("runs"), modelId: v.string(), day: v.number() },
  handler: async (ctx, { runId, modelId, day }) => {
    return await ctx.db
      .query("actions")
      .withIndex("by_run_model", (q) =>
        q.eq("runId", runId).eq("modelId", modelId).eq("day", day),
      )
      .collect();
  },
});
