import { v } from "convex/values";
import { internalMutation, mutation } from "../_generated/server";
import { vmState } from "../schema";

/** VMs silent for this long are marked `error` by the cron. */
export const VM_STALE_MS = 2 * 60 * 1000;

/** Registers a VM (or re-registers it after a respawn). */
export const register = internalMutation({
  args: {
    vmId: v.number(),
    namespace: v.string(),
    ip: v.string(),
    pid: v.optional(v.number()),
    assignedTicketId: v.optional(v.id("tickets")),
  },
  returns: v.id("vms"),
  handler: async (ctx, args) => {
    const now = Date.now();
    const state = args.assignedTicketId === undefined ? "running" : "busy";
    const existing = await ctx.db
      .query("vms")
      .withIndex("by_vm_id", (q) => q.eq("vmId", args.vmId))
      .unique();
    if (existing !== null) {
      await ctx.db.patch(existing._id, { ...args, state, lastHeartbeat: now });
      return existing._id;
    }
    return await ctx.db.insert("vms", {
      ...args,
      state,
      lastHeartbeat: now,
      createdAt: now,
    });
  },
});

/** A VM reports it is alive, with its state and resource usage. */
export const heartbeat = mutation({
  args: {
    vmId: v.number(),
    state: v.optional(vmState),
    cpuPercent: v.optional(v.number()),
    memoryMb: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, { vmId, state, cpuPercent, memoryMb }) => {
    const vm = await ctx.db
      .query("vms")
      .withIndex("by_vm_id", (q) => q.eq("vmId", vmId))
      .unique();
    if (vm === null) throw new Error(`VM ${vmId} is not registered`);
    await ctx.db.patch(vm._id, {
      lastHeartbeat: Date.now(),
      metrics: { cpuPercent, memoryMb },
      ...(state !== undefined ? { state } : {}),
    });
    return null;
  },
});

/** Cron: VMs that stopped sending heartbeats are marked `error` (a bounded batch per run). */
export const markStale = internalMutation({
  args: {},
  returns: v.number(),
  handler: async (ctx) => {
    const cutoff = Date.now() - VM_STALE_MS;
    const silent = await ctx.db
      .query("vms")
      .withIndex("by_heartbeat", (q) => q.lt("lastHeartbeat", cutoff))
      .take(100);
    let marked = 0;
    for (const vm of silent) {
      if (vm.state === "stopped" || vm.state === "error") continue;
      await ctx.db.patch(vm._id, { state: "error" });
      marked += 1;
    }
    return marked;
  },
});
