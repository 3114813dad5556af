import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { runConfig } from "./schema";

/** Creates a benchmark run in the `pending` state. */
export const createRun = mutation({
  args: {
    scenario: v.string(),
    models: v.array(v.string()),
    config: runConfig,
  },
  returns: v.id("runs"),
  handler: async (ctx, args) => {
    if (args.models.length === 0)
      throw new Error("A run needs at least one model");
    if (new Set(args.models).size !== args.models.length) {
      throw new Error("Model ids must be distinct");
    }
    return await ctx.db.insert("runs", { ...args, status: "pending" });
  },
});

/** Moves a pending run to `running`; records are accepted from then on. */
export const startRun = mutation({
  args: { runId: v.id("runs") },
  returns: v.null(),
  handler: async (ctx, { runId }) => {
    const run = await ctx.db.get(runId);
    if (run === null) throw new Error(`Run ${runId} not found`);
    if (run.status !== "pending")
      throw new Error(`Run ${runId} is already ${run.status}`);
    await ctx.db.patch(runId, { status: "running", startedAt: Date.now() });
    return null;
  },
});

/** Ends a running run as `completed` or `failed`. */
export const finishRun = mutation({
  args: {
    runId: v.id("runs"),
    status: v.union(v.literal("completed"), v.literal("failed")),
  },
  returns: v.null(),
  handler: async (ctx, { runId, status }) => {
    const run = await ctx.db.get(runId);
    if (run === null) throw new Error(`Run ${runId} not found`);
    if (run.status !== "running")
      throw new Error(`Run ${runId} is ${run.status}, not running`);
    await ctx.db.patch(runId, { status, completedAt: Date.now() });
    return null;
  },
});

export const getRun = query({
  args: { runId: v.id("runs") },
  handler: async (ctx, { runId }) => {
    return await ctx.db.get(runId);
  },
});

export const listByScenario = query({
  args: { scenario: v.string(), limit: v.optional(v.number()) },
  handler: async (ctx, { scenario, limit }) => {
    return await ctx.db
      .query("runs")
      .withIndex("by_scenario", (q) => q.eq("scenario", scenario))
      .order("desc")
      .take(limit ?? 20);
  },
});

/**
 * Live progress of a run: its status and the newest day any model has saved a state for.
 * Reads one run document and one index entry, so it stays cheap however long the run gets.
 */
export const progress = query({
  args: { runId: v.id("runs") },
  handler: async (ctx, { runId }) => {
    const run = await ctx.db.get(runId);
    if (run === null) return null;
    const latest = await ctx.db
      .query("states")
      .withIndex("by_run_day", (q) => q.eq("runId", runId))
      .order("desc")
      .first();
    return {
      status: run.status,
      days: run.config.days,
      day: latest?.day ?? 0,
      startedAt: run.startedAt ?? null,
      completedAt: run.completedAt ?? null,
    };
  },
});
