import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const runStatus = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
);

export const runConfig = v.object({
  days: v.number(),
  seed: v.number(),
  startingCapital: v.number(),
});

export default defineSchema({
  runs: defineTable({
    scenario: v.string(),
    models: v.array(v.string()),
    status: runStatus,
    config: runConfig,
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
  }).index("by_scenario", ["scenario"]),

  // One snapshot per model per day (scenario mutations may add more within a day).
  states: defineTable({
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    state: v.any(),
    timestamp: v.number(),
  })
    .index("by_run_model", ["runId", "modelId", "day"])
    .index("by_run_day", ["runId", "day"]),

  // Tool executions.
  actions: defineTable({
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    toolName: v.string(),
    params: v.any(),
    result: v.any(),
    success: v.boolean(),
    timestamp: v.number(),
  })
    .index("by_run_model", ["runId", "modelId", "day"])
    .index("by_run_day", ["runId", "day"]),

  metrics: defineTable({
    runId: v.id("runs"),
    modelId: v.string(),
    day: v.number(),
    metrics: v.any(),
    timestamp: v.number(),
  })
    .index("by_run_model", ["runId", "modelId", "day"])
    .index("by_run_day", ["runId", "day"]),

  events: defineTable({
    runId: v.id("runs"),
    day: v.number(),
    type: v.string(),
    data: v.any(),
    timestamp: v.number(),
  })
    .index("by_run_day", ["runId", "day"])
    .index("by_run_type", ["runId", "type"]),
});
