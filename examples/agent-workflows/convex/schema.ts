import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const sessionStatus = v.union(
  v.literal("idle"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
);

export const workflowStatus = v.union(
  v.literal("pending"),
  v.literal("in_progress"),
  v.literal("completed"),
  v.literal("failed"),
);

export const workflowStep = v.union(
  v.literal("planner"),
  v.literal("coder"),
  v.literal("reviewer"),
  v.literal("done"),
);

/** Fields every agent session has, whatever the agent. */
const sessionFields = {
  workflowId: v.id("workflows"),
  status: sessionStatus,
  /** The Claude SDK's own session id, once the agent process reports it. */
  sdkSessionId: v.optional(v.string()),
  input: v.string(),
  error: v.optional(v.string()),
  startedAt: v.number(),
  completedAt: v.optional(v.number()),
};

/** One agent session per agent run; its output fields depend on the agent (a union table). */
export const agentSession = v.union(
  v.object({
    ...sessionFields,
    agentType: v.literal("planner"),
    plan: v.optional(v.string()),
  }),
  v.object({
    ...sessionFields,
    agentType: v.literal("coder"),
    language: v.string(),
    code: v.optional(v.string()),
  }),
  v.object({
    ...sessionFields,
    agentType: v.literal("reviewer"),
    review: v.optional(v.string()),
    approved: v.optional(v.boolean()),
  }),
);

export default defineSchema({
  agentSessions: defineTable(agentSession)
    .index("by_workflow", ["workflowId"])
    .index("by_status", ["status"])
    .index("by_workflow_and_status", ["workflowId", "status"])
    .index("by_workflow_and_agentType", ["workflowId", "agentType"]),

  workflows: defineTable({
    task: v.string(),
    /** The language the coder agent writes. */
    language: v.string(),
    status: workflowStatus,
    currentStep: workflowStep,
    /** Review rounds that sent the code back to the coder. */
    reviewRounds: v.number(),
    maxReviewRounds: v.number(),
    artifacts: v.array(v.string()),
    error: v.optional(v.string()),
    metadata: v.object({
      createdAt: v.number(),
      updatedAt: v.number(),
    }),
  })
    .index("by_status", ["status"])
    .index("by_status_and_updatedAt", ["status", "metadata.updatedAt"]),
});
