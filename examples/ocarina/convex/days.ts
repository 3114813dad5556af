import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { mutation, query } from "./_generated/server";
import {
  getRunningRun,
  insertAction,
  insertEvent,
  insertMetrics,
  insertState,
  runEvent,
  toolAction,
} from "./model/records";

/**
 * Everything one model produced on one day, written in one transaction: its state snapshot,
 * its metrics, its tool executions and the day's scenario events. One round trip instead of
 * one per record, and readers never see half a day.
 */
export const processDayEnd = mutation({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    state: v.any(),
    metrics: v.any(),
    actions: v.array(toolAction),
    events: v.optional(v.array(runEvent)),
  },
  returns: v.object({ actions: v.number(), events: v.number() }),
  handler: async (ctx, { state, metrics, actions, events = [], ...at }) => {
    const run = await getRunningRun(ctx, at.runId);
    if (!run.models.includes(at.modelId)) {
      throw new Error(`Model ${at.modelId} is not part of run ${at.runId}`);
    }
    if (at.day < 1 || at.day > run.config.days) {
      throw new Error(
        `Day ${at.day} is outside the run's 1..${run.config.days}`,
      );
    }
    for (const action of actions) await insertAction(ctx, at, action);
    for (const event of events) await insertEvent(ctx, at.runId, at.day, event);
    await insertMetrics(ctx, at, metrics);
    await insertState(ctx, at, state);
    return { actions: actions.length, events: events.length };
  },
});

interface ModelCounts {
  states: number;
  actions: number;
  metrics: number;
}

function countByModel(
  counts: Record<string, ModelCounts>,
  docs: Doc<"states" | "actions" | "metrics">[],
  field: keyof ModelCounts,
) {
  for (const doc of docs) {
    counts[doc.modelId] ??= { states: 0, actions: 0, metrics: 0 };
    counts[doc.modelId]![field] += 1;
  }
}

/**
 * How many records a day of a run holds, in total and per model. Bounded by one day's data
 * (a few hundred documents), so a checker can walk a long run day by day.
 */
export const dayCounts = query({
  args: { runId: v.id("runs"), day: v.number() },
  handler: async (ctx, { runId, day }) => {
    const [states, actions, metrics, events] = await Promise.all([
      ctx.db
        .query("states")
        .withIndex("by_run_day", (q) => q.eq("runId", runId).eq("day", day))
        .collect(),
      ctx.db
        .query("actions")
        .withIndex("by_run_day", (q) => q.eq("runId", runId).eq("day", day))
        .collect(),
      ctx.db
        .query("metrics")
        .withIndex("by_run_day", (q) => q.eq("runId", runId).eq("day", day))
        .collect(),
      ctx.db
        .query("events")
        .withIndex("by_run_day", (q) => q.eq("runId", runId).eq("day", day))
        .collect(),
    ]);
    const perModel: Record<string, ModelCounts> = {};
    countByModel(perModel, states, "states");
    countByModel(perModel, actions, "actions");
    countByModel(perModel, metrics, "metrics");
    return {
      states: states.length,
      actions: actions.length,
      metrics: metrics.length,
      events: events.length,
      perModel,
    };
  },
});
