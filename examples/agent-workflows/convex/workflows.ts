import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import * as Workflows from "./model/workflows";
import { workflowStatus } from "./schema";

export const createWorkflow = mutation({
  args: {
    task: v.string(),
    language: v.optional(v.string()),
    maxReviewRounds: v.optional(v.number()),
  },
  returns: v.id("workflows"),
  handler: async (ctx, { task, language, maxReviewRounds }) => {
    return await Workflows.createWorkflow(ctx, {
      task,
      language: language ?? "typescript",
      maxReviewRounds: maxReviewRounds ?? 3,
    });
  },
});

/** Starts a pending workflow; returns the planner's session. */
export const startWorkflow = mutation({
  args: { workflowId: v.id("workflows") },
  returns: v.id("agentSessions"),
  handler: async (ctx, { workflowId }) => {
    return await Workflows.startWorkflow(ctx, workflowId);
  },
});

export const getWorkflow = query({
  args: { workflowId: v.id("workflows") },
  handler: async (ctx, { workflowId }) => {
    return await Workflows.getWorkflow(ctx, workflowId);
  },
});

/** Workflows in one status, most recently updated first, a page at a time. */
export const listWorkflows = query({
  args: { status: workflowStatus, paginationOpts: paginationOptsValidator },
  handler: async (ctx, { status, paginationOpts }) => {
    return await ctx.db
      .query("workflows")
      .withIndex("by_status_and_updatedAt", (q) => q.eq("status", status))
      .order("desc")
      .paginate(paginationOpts);
  },
});

export const addArtifact = mutation({
  args: { workflowId: v.id("workflows"), path: v.string() },
  returns: v.null(),
  handler: async (ctx, { workflowId, path }) => {
    await Workflows.addArtifact(ctx, workflowId, path);
    return null;
  },
});
