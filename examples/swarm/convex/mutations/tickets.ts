import { v } from "convex/values";
import { internalMutation, mutation } from "../_generated/server";
import {
  claimTicket,
  completeTicket,
  failTicket,
  LEASE_MS,
  mustGetTicket,
  nextClaimable,
  recordProgress,
  WORKING_STATES,
} from "../model/tickets";
import { assigneeType, ticketState } from "../schema";

/** Creates a draft ticket; its dependencies learn that it waits for them (`blocks`). */
export const create = mutation({
  args: {
    title: v.string(),
    description: v.optional(v.string()),
    projectId: v.optional(v.id("projects")),
    parentId: v.optional(v.id("tickets")),
    priority: v.optional(v.number()),
    tenantId: v.optional(v.string()),
    dependsOn: v.optional(v.array(v.id("tickets"))),
  },
  returns: v.id("tickets"),
  handler: async (ctx, args) => {
    const now = Date.now();
    const dependencies = await Promise.all(
      (args.dependsOn ?? []).map((id) => mustGetTicket(ctx, id)),
    );
    const ticketId = await ctx.db.insert("tickets", {
      ...args,
      state: "draft",
      createdAt: now,
      updatedAt: now,
    });
    for (const dependency of dependencies) {
      await ctx.db.patch(dependency._id, {
        blocks: [...(dependency.blocks ?? []), ticketId],
      });
    }
    return ticketId;
  },
});

/** Moves a ticket to a planning state (draft, pending, blocked, hold); work states have their own mutations. */
export const setState = mutation({
  args: {
    ticketId: v.id("tickets"),
    state: v.union(
      v.literal("draft"),
      v.literal("pending"),
      v.literal("blocked"),
      v.literal("hold"),
    ),
    holdReason: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { ticketId, state, holdReason }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    if (WORKING_STATES.includes(ticket.state) || ticket.state === "completed") {
      throw new Error(`Cannot move a ${ticket.state} ticket to ${state}`);
    }
    await ctx.db.patch(ticketId, {
      state,
      holdReason: state === "hold" ? holdReason : undefined,
      updatedAt: Date.now(),
    });
    return null;
  },
});

/** Claims one given pending ticket (agent or human). */
export const claim = mutation({
  args: {
    ticketId: v.id("tickets"),
    assigneeId: v.optional(v.id("users")),
    vmId: v.optional(v.string()),
    assigneeType,
  },
  handler: async (ctx, { ticketId, ...assignee }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    const leaseExpires = await claimTicket(ctx, ticket, assignee);
    return { success: true, leaseExpires };
  },
});

/** Claims a given pending ticket for a VM the platform is about to spawn. */
export const claimForVm = internalMutation({
  args: { ticketId: v.id("tickets"), vmId: v.string() },
  handler: async (ctx, { ticketId, vmId }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    return {
      leaseExpires: await claimTicket(ctx, ticket, {
        vmId,
        assigneeType: "agent",
      }),
    };
  },
});

/**
 * Claims the highest-priority pending ticket for an agent, atomically: safe when many VMs call
 * it at once (conflicting claims are re-run by the database). Returns null when none is left.
 */
export const claimNext = mutation({
  args: {
    vmId: v.string(),
    assigneeType,
    tenantId: v.optional(v.string()),
  },
  handler: async (ctx, { vmId, assigneeType, tenantId }) => {
    const ticket = await nextClaimable(ctx, tenantId);
    if (ticket === null) return null;
    const leaseExpires = await claimTicket(ctx, ticket, { vmId, assigneeType });
    return { ticketId: ticket._id, title: ticket.title, leaseExpires };
  },
});

/** Progress from the worker: a log line and/or a move between claimed, in_progress and review. */
export const updateProgress = mutation({
  args: {
    ticketId: v.id("tickets"),
    progressLog: v.optional(v.string()),
    state: v.optional(
      v.union(
        v.literal("claimed"),
        v.literal("in_progress"),
        v.literal("review"),
      ),
    ),
  },
  returns: v.null(),
  handler: async (ctx, { ticketId, ...progress }) => {
    await recordProgress(ctx, await mustGetTicket(ctx, ticketId), progress);
    return null;
  },
});

/** An action's progress line (see `actions/claudeActions.ts`). */
export const logProgress = internalMutation({
  args: { ticketId: v.id("tickets"), progressLog: v.string() },
  returns: v.null(),
  handler: async (ctx, { ticketId, progressLog }) => {
    await recordProgress(ctx, await mustGetTicket(ctx, ticketId), {
      progressLog,
    });
    return null;
  },
});

/** Completes a ticket being worked on and unblocks the tickets that waited only for it. */
export const complete = mutation({
  args: {
    ticketId: v.id("tickets"),
    result: v.optional(v.string()),
    prUrl: v.optional(v.string()),
    outputs: v.optional(v.any()),
  },
  returns: v.null(),
  handler: async (ctx, { ticketId, ...results }) => {
    await completeTicket(ctx, await mustGetTicket(ctx, ticketId), results);
    return null;
  },
});

const failArgs = {
  ticketId: v.id("tickets"),
  error: v.string(),
  retryable: v.optional(v.boolean()),
};

/** Records a failure; a retryable one goes back to pending until MAX_RETRIES. */
export const fail = mutation({
  args: failArgs,
  returns: v.object({ state: ticketState }),
  handler: async (ctx, { ticketId, error, retryable }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    return { state: await failTicket(ctx, ticket, error, retryable === true) };
  },
});

/** `fail` for actions (see `actions/vmActions.ts`). */
export const failInternal = internalMutation({
  args: failArgs,
  returns: v.object({ state: ticketState }),
  handler: async (ctx, { ticketId, error, retryable }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    return { state: await failTicket(ctx, ticket, error, retryable === true) };
  },
});

/** Keeps a worker's lease alive (and records progress); only the VM holding the ticket may. */
export const heartbeat = mutation({
  args: {
    ticketId: v.id("tickets"),
    vmId: v.optional(v.string()),
    progressLog: v.optional(v.string()),
  },
  handler: async (ctx, { ticketId, vmId, progressLog }) => {
    const ticket = await mustGetTicket(ctx, ticketId);
    if (!WORKING_STATES.includes(ticket.state)) {
      throw new Error(`Ticket is ${ticket.state}; its lease has ended`);
    }
    if (vmId !== undefined && ticket.vmId !== vmId) {
      throw new Error(
        `Ticket is held by ${ticket.vmId ?? "nobody"}, not ${vmId}`,
      );
    }
    const now = Date.now();
    const leaseExpires = now + LEASE_MS;
    await ctx.db.patch(ticketId, {
      lastHeartbeat: now,
      leaseExpires,
      updatedAt: now,
      ...(progressLog !== undefined ? { progressLog } : {}),
    });
    return { leaseExpires };
  },
});

/** Cron: hands tickets whose lease ran out back to `pending` (a bounded batch per run). */
export const releaseExpiredLeases = internalMutation({
  args: {},
  returns: v.number(),
  handler: async (ctx) => {
    const now = Date.now();
    let released = 0;
    for (const state of WORKING_STATES) {
      const expired = await ctx.db
        .query("tickets")
        .withIndex("by_state_lease", (q) =>
          q.eq("state", state).gte("leaseExpires", 0).lt("leaseExpires", now),
        )
        .take(100);
      for (const ticket of expired) {
        await ctx.db.patch(ticket._id, {
          state: "pending",
          vmId: undefined,
          assigneeId: undefined,
          leaseExpires: undefined,
          error: "Lease expired",
          updatedAt: now,
        });
        released += 1;
      }
    }
    return released;
  },
});
