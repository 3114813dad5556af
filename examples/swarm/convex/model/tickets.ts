import type { Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { assigneeType, ticketState } from "../schema";

export type Ticket = Doc<"tickets">;
export type TicketState = Infer<typeof ticketState>;
export type AssigneeType = Infer<typeof assigneeType>;

/** How long a claim holds before the lease sweep hands the ticket back. */
export const LEASE_MS = 30 * 60 * 1000;
/** Failures after which a retryable ticket fails for good. */
export const MAX_RETRIES = 3;

/** Ticket states in which someone is working on the ticket under a lease. */
export const WORKING_STATES: readonly TicketState[] = [
  "claimed",
  "in_progress",
  "review",
];

export async function mustGetTicket(ctx: QueryCtx, ticketId: Id<"tickets">) {
  const ticket = await ctx.db.get(ticketId);
  if (ticket === null) throw new Error("Ticket not found");
  return ticket;
}

export interface Assignee {
  assigneeType: AssigneeType;
  assigneeId?: Id<"users">;
  vmId?: string;
}

/** Claims a pending ticket for an assignee under a fresh lease. */
export async function claimTicket(
  ctx: MutationCtx,
  ticket: Ticket,
  assignee: Assignee,
) {
  if (ticket.state !== "pending") {
    throw new Error(`Cannot claim ticket in state: ${ticket.state}`);
  }
  const now = Date.now();
  const leaseExpires = now + LEASE_MS;
  await ctx.db.patch(ticket._id, {
    state: "claimed",
    ...assignee,
    leaseExpires,
    lastHeartbeat: now,
    startedAt: now,
    updatedAt: now,
  });
  return leaseExpires;
}

/**
 * The pending ticket to hand out next: highest priority first (descending index order, which
 * puts tickets without a priority last and, among equals, the newest first). The read
 * covers the whole pending range of the index, so two concurrent claimers conflict and one of
 * them re-runs: nobody gets a ticket twice.
 */
export async function nextClaimable(
  ctx: QueryCtx,
  tenantId: string | undefined,
) {
  if (tenantId === undefined) {
    return await ctx.db
      .query("tickets")
      .withIndex("by_state_priority", (q) => q.eq("state", "pending"))
      .order("desc")
      .first();
  }
  return await ctx.db
    .query("tickets")
    .withIndex("by_state_tenant_priority", (q) =>
      q.eq("state", "pending").eq("tenantId", tenantId),
    )
    .order("desc")
    .first();
}

/**
 * After `completedId` completed, moves every blocked ticket it blocks whose dependencies are
 * now all completed to `pending`. Follows the `blocks` edges recorded at creation instead of
 * scanning the blocked tickets.
 */
export async function unblockDependents(
  ctx: MutationCtx,
  completed: Ticket,
  now: number,
) {
  for (const dependentId of completed.blocks ?? []) {
    const dependent = await ctx.db.get(dependentId);
    if (dependent === null || dependent.state !== "blocked") continue;
    const deps = await Promise.all(
      (dependent.dependsOn ?? []).map((id) => ctx.db.get(id)),
    );
    if (deps.every((dep) => dep?.state === "completed")) {
      await ctx.db.patch(dependentId, { state: "pending", updatedAt: now });
    }
  }
}

/** Counts tickets in one state (optionally of one tenant) by reading an index range. */
export async function countInState(
  ctx: QueryCtx,
  state: TicketState,
  tenantId?: string,
) {
  const tickets =
    tenantId === undefined
      ? await ctx.db
          .query("tickets")
          .withIndex("by_state", (q) => q.eq("state", state))
          .collect()
      : await ctx.db
          .query("tickets")
          .withIndex("by_state_tenant", (q) =>
            q.eq("state", state).eq("tenantId", tenantId),
          )
          .collect();
  return tickets.length;
}

/** Records a failure; a retryable one goes back to pending until MAX_RETRIES. */
export async function failTicket(
  ctx: MutationCtx,
  ticket: Ticket,
  error: string,
  retryable: boolean,
): Promise<"pending" | "failed"> {
  const rejectionCount = (ticket.rejectionCount ?? 0) + 1;
  const now = Date.now();
  if (retryable && rejectionCount < MAX_RETRIES) {
    await ctx.db.patch(ticket._id, {
      state: "pending",
      error,
      rejectionCount,
      assigneeId: undefined,
      vmId: undefined,
      leaseExpires: undefined,
      updatedAt: now,
    });
    return "pending";
  }
  await ctx.db.patch(ticket._id, {
    state: "failed",
    error,
    rejectionCount,
    leaseExpires: undefined,
    completedAt: now,
    updatedAt: now,
  });
  return "failed";
}

/** Progress from the worker: a log line and/or a move between the working states. */
export async function recordProgress(
  ctx: MutationCtx,
  ticket: Ticket,
  progress: {
    progressLog?: string;
    state?: "claimed" | "in_progress" | "review";
  },
) {
  if (!WORKING_STATES.includes(ticket.state)) {
    throw new Error(`Cannot report progress on a ${ticket.state} ticket`);
  }
  const now = Date.now();
  await ctx.db.patch(ticket._id, {
    updatedAt: now,
    lastHeartbeat: now,
    ...(progress.progressLog !== undefined
      ? { progressLog: progress.progressLog }
      : {}),
    ...(progress.state !== undefined ? { state: progress.state } : {}),
  });
}

/** Completes a ticket being worked on and unblocks the tickets that waited only for it. */
export async function completeTicket(
  ctx: MutationCtx,
  ticket: Ticket,
  results: { result?: string; prUrl?: string; outputs?: unknown },
) {
  if (!WORKING_STATES.includes(ticket.state)) {
    throw new Error(`Cannot complete a ${ticket.state} ticket`);
  }
  const now = Date.now();
  await ctx.db.patch(ticket._id, {
    ...results,
    state: "completed",
    leaseExpires: undefined,
    completedAt: now,
    updatedAt: now,
  });
  await unblockDependents(ctx, ticket, now);
}
