import { v } from "convex/values";
import { internal } from "../_generated/api";
import { action } from "../_generated/server";

interface SpawnResult {
  ip: string;
  pid?: number;
}

function isSpawnResult(value: unknown): value is SpawnResult {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as SpawnResult).ip === "string"
  );
}

/**
 * Claims a pending ticket for VM `vmNumber`, asks the VM host to spawn the VM, and registers it.
 * The claim comes first and is atomic, so two spawns never work on one ticket; if the spawn
 * fails, the ticket goes back to pending (a retryable failure).
 */
export const spawnVmForTicket = action({
  args: { ticketId: v.id("tickets"), vmNumber: v.number() },
  handler: async (ctx, { ticketId, vmNumber }) => {
    const hostUrl = process.env.SWARM_VM_API_URL;
    if (hostUrl === undefined)
      throw new Error("Set SWARM_VM_API_URL to the VM host's API");
    const vmId = String(vmNumber);
    await ctx.runMutation(internal.mutations.tickets.claimForVm, {
      ticketId,
      vmId,
    });
    try {
      const response = await fetch(`${hostUrl}/api/vms/spawn`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ vmNumber, ticketId }),
      });
      if (!response.ok)
        throw new Error(
          `VM spawn failed: ${response.status} ${response.statusText}`,
        );
      const result: unknown = await response.json();
      if (!isSpawnResult(result))
        throw new Error("VM host answered without an ip");
      await ctx.runMutation(internal.mutations.vms.register, {
        vmId: vmNumber,
        namespace: `ns${vmNumber}`,
        ip: result.ip,
        pid: result.pid,
        assignedTicketId: ticketId,
      });
      return result;
    } catch (error) {
      await ctx.runMutation(internal.mutations.tickets.failInternal, {
        ticketId,
        error: error instanceof Error ? error.message : String(error),
        retryable: true,
      });
      throw error;
    }
  },
});
