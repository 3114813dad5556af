import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { completeTicket, WORKING_STATES } from "./model/tickets";

/**
 * Completes the ticket being worked on whose pull request was merged, in one transaction
 * (lookup and completion together). Returns its id, or null when no working ticket has that PR.
 */
export const completeByPrUrl = internalMutation({
  args: { prUrl: v.string() },
  returns: v.union(v.id("tickets"), v.null()),
  handler: async (ctx, { prUrl }) => {
    const tickets = await ctx.db
      .query("tickets")
      .withIndex("by_pr_url", (q) => q.eq("prUrl", prUrl))
      .take(10);
    const ticket = tickets.find((t) => WORKING_STATES.includes(t.state));
    if (ticket === undefined) return null;
    await completeTicket(ctx, ticket, { result: "PR merged successfully" });
    return ticket._id;
  },
});

/** Turns an id string from an HTTP body into a tickets id, or null if it is not one. */
export const normalizeTicketId = internalQuery({
  args: { id: v.string() },
  returns: v.union(v.id("tickets"), v.null()),
  handler: async (ctx, { id }) => {
    return ctx.db.normalizeId("tickets", id);
  },
});
