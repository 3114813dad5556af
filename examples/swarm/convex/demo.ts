import { v } from "convex/values";
import { internalMutation } from "./_generated/server";

const DEMO_PROJECT = "Swarm demo";

const TICKETS = [
  { title: "Set up CI pipeline", state: "completed", priority: 3 },
  { title: "Add login page", state: "in_progress", priority: 4, vmId: "1" },
  { title: "Write API docs", state: "review", priority: 2, vmId: "2" },
  {
    title: "Rate-limit the public API",
    state: "claimed",
    priority: 5,
    vmId: "3",
  },
  { title: "Migrate settings to Postgres", state: "pending", priority: 3 },
  { title: "Dark mode", state: "pending", priority: 1 },
  { title: "Billing webhooks", state: "blocked", priority: 2 },
  { title: "Flaky e2e test", state: "failed", priority: 2 },
] as const;

/**
 * Loads a little demo data (a project, tickets in every column, four VMs, an open HITL chat).
 * Idempotent: does nothing if the demo project exists. Run with `npx convex run demo:seed`.
 */
export const seed = internalMutation({
  args: {},
  returns: v.boolean(),
  handler: async (ctx) => {
    const projects = await ctx.db
      .query("projects")
      .withIndex("by_state", (q) => q.eq("state", "active"))
      .collect();
    if (projects.some((p) => p.name === DEMO_PROJECT)) return false;
    const now = Date.now();
    const projectId = await ctx.db.insert("projects", {
      name: DEMO_PROJECT,
      repoUrl: "https://github.com/example/swarm-demo",
      state: "active",
      createdAt: now,
      updatedAt: now,
    });
    for (const ticket of TICKETS) {
      const working = "vmId" in ticket;
      await ctx.db.insert("tickets", {
        ...ticket,
        projectId,
        ...(working
          ? {
              assigneeType: "agent" as const,
              leaseExpires: now + 30 * 60_000,
              startedAt: now,
            }
          : {}),
        ...(ticket.state === "completed"
          ? { completedAt: now, result: "Done" }
          : {}),
        ...(ticket.state === "failed"
          ? { error: "Timed out waiting for the browser" }
          : {}),
        createdAt: now,
        updatedAt: now,
      });
    }
    for (const vmId of [1, 2, 3, 4]) {
      await ctx.db.insert("vms", {
        vmId,
        namespace: `ns${vmId}`,
        ip: `10.0.0.${10 + vmId}`,
        state: vmId === 4 ? "running" : "busy",
        lastHeartbeat: now,
        metrics: { cpuPercent: 20 * vmId, memoryMb: 512 * vmId },
        createdAt: now,
      });
    }
    const sessionId = await ctx.db.insert("hitlSessions", {
      type: "clarification",
      state: "waiting",
      projectId,
      question: "Which OAuth providers should the login page support?",
      createdAt: now,
      updatedAt: now,
    });
    await ctx.db.insert("hitlMessages", {
      sessionId,
      role: "assistant",
      content: "Which OAuth providers should the login page support?",
      createdAt: now,
    });
    return true;
  },
});
