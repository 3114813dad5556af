import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { getRunningRun, insertState } from "./model/records";

/** Saves one model's state snapshot for a day. */
export const saveState = mutation({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    state: v.any(),
  },
  returns: v.id("states"),
  handler: async (ctx, { state, ...at }) => {
    await getRunningRun(ctx, at.runId);
    return await insertState(ctx, at, state);
  },
});

/** One model's state on a day (the last snapshot saved that day), or null. */
export const getState = query({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
  },
  handler: async (ctx, { runId, modelId, day }) => {
    const snapshot = await ctx.db
      .query("states")
      .withIndex("by_run_model", (q) =>
        q.eq("runId", runId).eq("modelId", modelId).eq("day", day),
      )
      .order("desc")
      .first();
    return snapshot?.state ?? null;
  },
});

/** A page of one model's snapshots, oldest day first. */
export const getTimeline = query({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    paginationOpts: paginationOptsValidator,
  },
  handler: async (ctx, { runId, modelId, paginationOpts }) => {
    return await ctx.db
      .query("states")
      .withIndex("by_run_model", (q) =>
        q.eq("runId", runId).eq("modelId", modelId),
      )
      .paginate(paginationOpts);
  },
});

/** The newest snapshot saved in a run (any model): subscribe to it to follow a run live. */
export const watchState = query({
  args: { runId: v.id("runs") },
  handler: async (ctx, { runId }) => {
    return await ctx.db
      .query("states")
      .withIndex("by_run_day", (q) => q.eq("runId", runId))
      .order("desc")
      .first();
  },
});
