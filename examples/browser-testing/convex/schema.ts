import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const sessionStatus = v.union(
  v.literal("pending"),
  v.literal("generating"),
  v.literal("ready"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
);

export const flowStatus = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
);

export const browserStatus = v.union(
  v.literal("starting"),
  v.literal("ready"),
  v.literal("running"),
  v.literal("idle"),
  v.literal("stopped"),
  v.literal("error"),
);

export const logLevel = v.union(
  v.literal("info"),
  v.literal("warning"),
  v.literal("error"),
  v.literal("debug"),
);

export default defineSchema({
  testSessions: defineTable({
    name: v.string(),
    prompt: v.string(),
    status: sessionStatus,
    createdAt: v.string(), // ISO timestamps, as in the seed
    startedAt: v.optional(v.string()),
    completedAt: v.optional(v.string()),
    totalFlows: v.number(),
    completedFlows: v.number(),
    metadata: v.optional(
      v.object({
        estimatedDuration: v.optional(v.number()),
        actualDuration: v.optional(v.number()),
        errorMessage: v.optional(v.string()),
      }),
    ),
  }).index("by_status", ["status"]),

  testFlows: defineTable({
    sessionId: v.id("testSessions"),
    name: v.string(),
    description: v.string(),
    instructions: v.string(),
    approved: v.boolean(),
    status: flowStatus,
    order: v.number(),
    createdAt: v.string(),
    startedAt: v.optional(v.string()),
    completedAt: v.optional(v.string()),
    result: v.optional(v.string()),
    errorMessage: v.optional(v.string()),
  })
    .index("by_sessionId", ["sessionId"])
    .index("by_sessionId_order", ["sessionId", "order"])
    .index("by_completedAt", ["completedAt"]),

  browserSessions: defineTable({
    sessionId: v.id("testSessions"),
    flowId: v.optional(v.id("testFlows")),
    status: browserStatus,
    browserType: v.string(),
    startedAt: v.string(),
    lastActivity: v.string(),
  })
    .index("by_sessionId", ["sessionId"])
    .index("by_status", ["status"]),

  executionLogs: defineTable({
    sessionId: v.id("testSessions"),
    flowId: v.optional(v.id("testFlows")),
    browserSessionId: v.optional(v.id("browserSessions")),
    level: logLevel,
    message: v.string(),
    timestamp: v.string(),
    data: v.optional(v.any()),
  })
    .index("by_sessionId", ["sessionId"])
    .index("by_flowId", ["flowId"]),

  systemStats: defineTable({
    timestamp: v.string(),
    activeSessions: v.number(),
    activeBrowsers: v.number(),
    totalFlowsExecuted: v.number(),
  }).index("by_timestamp", ["timestamp"]),
});
