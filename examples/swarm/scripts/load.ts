/**
 * The Swarm load test as a library: creates pending tickets, then lets simulated VMs call
 * `claimNext` concurrently until none is left, and checks that every ticket was claimed
 * exactly once.
 */
import { ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api.js";
import type { Id } from "../convex/_generated/dataModel.js";

export interface LoadTestOptions {
  readonly url: string;
  readonly tickets: number;
  readonly vms: number;
  /** Isolates this run's tickets from any others in the deployment. */
  readonly tenantId?: string;
}

export interface LoadTestResult {
  readonly tenantId: string;
  readonly created: number;
  /** Claims that returned a ticket. */
  readonly claims: number;
  /** Tickets returned to more than one claim (must be empty). */
  readonly duplicates: readonly Id<"tickets">[];
  /** Claims per VM, in VM order. */
  readonly perVm: readonly number[];
  /** `claimNext` round-trip latencies in milliseconds, every call included. */
  readonly latency: {
    readonly p50: number;
    readonly p95: number;
    readonly max: number;
  };
  readonly stats: {
    readonly pending: number;
    readonly claimed: number;
    readonly total: number;
  };
  readonly createMs: number;
  readonly claimMs: number;
}

function percentile(sorted: readonly number[], p: number) {
  if (sorted.length === 0) return 0;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ]!;
}

async function createPendingTickets(
  client: ConvexHttpClient,
  count: number,
  tenantId: string,
) {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const ticketId = await client.mutation(
        api.mutations.tickets.create,
        { title: `Load Test Ticket ${i}`, priority: i % 5, tenantId },
        { skipQueue: true },
      );
      await client.mutation(
        api.mutations.tickets.setState,
        { ticketId, state: "pending" },
        { skipQueue: true },
      );
    }),
  );
}

/** One simulated VM: claims until `claimNext` returns null, timing every call. */
async function runVm(
  url: string,
  vm: number,
  tenantId: string,
  latencies: number[],
) {
  const client = new ConvexHttpClient(url, { logger: false });
  const won: Id<"tickets">[] = [];
  for (;;) {
    const started = performance.now();
    const claimed = await client.mutation(api.mutations.tickets.claimNext, {
      vmId: `vm-${vm}`,
      assigneeType: "agent",
      tenantId,
    });
    latencies.push(performance.now() - started);
    if (claimed === null) return won;
    won.push(claimed.ticketId);
  }
}

export async function runLoadTest(
  options: LoadTestOptions,
): Promise<LoadTestResult> {
  const tenantId = options.tenantId ?? `load-${Date.now()}`;
  const client = new ConvexHttpClient(options.url, { logger: false });
  const createStart = performance.now();
  await createPendingTickets(client, options.tickets, tenantId);
  const createMs = performance.now() - createStart;

  const latencies: number[] = [];
  const claimStart = performance.now();
  const perVm = await Promise.all(
    Array.from({ length: options.vms }, (_, vm) =>
      runVm(options.url, vm, tenantId, latencies),
    ),
  );
  const claimMs = performance.now() - claimStart;

  const all = perVm.flat();
  const seen = new Set<Id<"tickets">>();
  const duplicates = all.filter((id) =>
    seen.has(id) ? true : (seen.add(id), false),
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const stats = await client.query(api.queries.tickets.getStats, { tenantId });
  return {
    tenantId,
    created: options.tickets,
    claims: all.length,
    duplicates,
    perVm: perVm.map((won) => won.length),
    latency: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      max: sorted.at(-1) ?? 0,
    },
    stats: {
      pending: stats.pending,
      claimed: stats.claimed,
      total: stats.total,
    },
    createMs,
    claimMs,
  };
}
