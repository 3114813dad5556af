import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { query } from "../_generated/server";
import { countInState } from "../model/tickets";
import { ticketState } from "../schema";

export const getByProject = query({
  args: { projectId: v.id("projects") },
  handler: async (ctx, { projectId }) => {
    return await ctx.db
      .query("tickets")
      .withIndex("by_project", (q) => q.eq("projectId", projectId))
      .collect();
  },
});

/** Pending tickets (optionally of one tenant), highest priority first. */
export const getAvailable = query({
  args: { tenantId: v.optional(v.string()), limit: v.optional(v.number()) },
  handler: async (ctx, { tenantId, limit }) => {
    const take = Math.min(limit ?? 50, 200);
    if (tenantId === undefined) {
      return await ctx.db
        .query("tickets")
        .withIndex("by_state_priority", (q) => q.eq("state", "pending"))
        .order("desc")
        .take(take);
    }
    return await ctx.db
      .query("tickets")
      .withIndex("by_state_tenant_priority", (q) =>
        q.eq("state", "pending").eq("tenantId", tenantId),
      )
      .order("desc")
      .take(take);
  },
});

/** A ticket with its project, parent and children, or null. */
export const getById = query({
  args: { ticketId: v.id("tickets") },
  handler: async (ctx, { ticketId }) => {
    const ticket = await ctx.db.get(ticketId);
    if (ticket === null) return null;
    const [project, parent, children] = await Promise.all([
      ticket.projectId ? ctx.db.get(ticket.projectId) : null,
      ticket.parentId ? ctx.db.get(ticket.parentId) : null,
      ctx.db
        .query("tickets")
        .withIndex("by_parent", (q) => q.eq("parentId", ticketId))
        .collect(),
    ]);
    return { ...ticket, project, parent, children };
  },
});

/** The ticket a VM is working on, if any. */
export const getByVm = query({
  args: { vmId: v.string() },
  handler: async (ctx, { vmId }) => {
    for (const state of ["in_progress", "claimed", "review"] as const) {
      const ticket = await ctx.db
        .query("tickets")
        .withIndex("by_vm_state", (q) => q.eq("vmId", vmId).eq("state", state))
        .first();
      if (ticket !== null) return ticket;
    }
    return null;
  },
});

/** Tickets whose pull request is this URL (the GitHub webhook's lookup). */
export const getByPrUrl = query({
  args: { prUrl: v.string() },
  handler: async (ctx, { prUrl }) => {
    return await ctx.db
      .query("tickets")
      .withIndex("by_pr_url", (q) => q.eq("prUrl", prUrl))
      .take(10);
  },
});

/** Tickets in one state, most recently created first, a page at a time. */
export const listByState = query({
  args: { state: ticketState, paginationOpts: paginationOptsValidator },
  handler: async (ctx, { state, paginationOpts }) => {
    return await ctx.db
      .query("tickets")
      .withIndex("by_state", (q) => q.eq("state", state))
      .order("desc")
      .paginate(paginationOpts);
  },
});

/** Dashboard counts, one index range per state (optionally for one tenant). */
export const getStats = query({
  args: { tenantId: v.optional(v.string()) },
  handler: async (ctx, { tenantId }) => {
    const count = (state: Parameters<typeof countInState>[1]) =>
      countInState(ctx, state, tenantId);
    const [
      draft,
      pending,
      claimed,
      inProgress,
      review,
      completed,
      failed,
      blocked,
      hold,
    ] = await Promise.all([
      count("draft"),
      count("pending"),
      count("claimed"),
      count("in_progress"),
      count("review"),
      count("completed"),
      count("failed"),
      count("blocked"),
      count("hold"),
    ]);
    return {
      total:
        draft +
        pending +
        claimed +
        inProgress +
        review +
        completed +
        failed +
        blocked +
        hold,
      draft,
      pending,
      claimed,
      inProgress,
      review,
      completed,
      failed,
      blocked,
      hold,
    };
  },
});
