import { v } from "convex/values";
import { query } from "../_generated/server";
import { projectState } from "../schema";

export const get = query({
  args: { projectId: v.id("projects") },
  handler: async (ctx, { projectId }) => {
    return await ctx.db.get(projectId);
  },
});

export const listByState = query({
  args: { state: projectState },
  handler: async (ctx, { state }) => {
    return await ctx.db
      .query("projects")
      .withIndex("by_state", (q) => q.eq("state", state))
      .order("desc")
      .take(100);
  },
});
