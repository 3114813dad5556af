import type { Infer } from "convex/values";
import { v } from "convex/values";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";

/** Where a record belongs: one model's day within a run. */
export interface ModelDay {
  runId: Id<"runs">;
  modelId: string;
  day: number;
}

/** A tool execution as the harness reports it. */
export const toolAction = v.object({
  toolName: v.string(),
  params: v.any(),
  result: v.any(),
  success: v.boolean(),
});
export type ToolAction = Infer<typeof toolAction>;

/** A scenario event (a demand surge, a price change...) that concerns the whole run. */
export const runEvent = v.object({ type: v.string(), data: v.any() });
export type RunEvent = Infer<typeof runEvent>;

export async function insertState(
  ctx: MutationCtx,
  at: ModelDay,
  state: unknown,
) {
  return await ctx.db.insert("states", { ...at, state, timestamp: Date.now() });
}

export async function insertAction(
  ctx: MutationCtx,
  at: ModelDay,
  action: ToolAction,
) {
  return await ctx.db.insert("actions", {
    ...at,
    ...action,
    timestamp: Date.now(),
  });
}

export async function insertMetrics(
  ctx: MutationCtx,
  at: ModelDay,
  metrics: unknown,
) {
  return await ctx.db.insert("metrics", {
    ...at,
    metrics,
    timestamp: Date.now(),
  });
}

export async function insertEvent(
  ctx: MutationCtx,
  runId: Id<"runs">,
  day: number,
  event: RunEvent,
) {
  return await ctx.db.insert("events", {
    runId,
    day,
    ...event,
    timestamp: Date.now(),
  });
}

/** The newest snapshot of one model in a run, or null before its first day. */
export async function getCurrentState(
  ctx: QueryCtx,
  runId: Id<"runs">,
  modelId: string,
) {
  return await ctx.db
    .query("states")
    .withIndex("by_run_model", (q) =>
      q.eq("runId", runId).eq("modelId", modelId),
    )
    .order("desc")
    .first();
}

/** Throws unless the run exists and is running: records are only accepted while it runs. */
export async function getRunningRun(ctx: QueryCtx, runId: Id<"runs">) {
  const run = await ctx.db.get(runId);
  if (run === null) throw new Error(`Run ${runId} not found`);
  if (run.status !== "running") {
    throw new Error(`Run ${runId} is ${run.status}, not running`);
  }
  return run;
}
