import { v } from "convex/values";
import { mutation } from "../_generated/server";
import { projectState } from "../schema";

export const create = mutation({
  args: {
    name: v.string(),
    description: v.optional(v.string()),
    repoUrl: v.optional(v.string()),
    branch: v.optional(v.string()),
    tenantId: v.optional(v.string()),
    ownerId: v.optional(v.id("users")),
    type: v.optional(v.string()),
  },
  returns: v.id("projects"),
  handler: async (ctx, args) => {
    const now = Date.now();
    return await ctx.db.insert("projects", {
      ...args,
      state: "active",
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const setState = mutation({
  args: { projectId: v.id("projects"), state: projectState },
  returns: v.null(),
  handler: async (ctx, { projectId, state }) => {
    if ((await ctx.db.get(projectId)) === null)
      throw new Error("Project not found");
    await ctx.db.patch(projectId, { state, updatedAt: Date.now() });
    return null;
  },
});
