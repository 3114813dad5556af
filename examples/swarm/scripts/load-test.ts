/**
 * Creates 100 pending tickets and lets 10 simulated VMs call `claimNext` concurrently:
 * there must be exactly 100 successful claims and no ticket claimed twice.
 *
 *   node --import tsx scripts/load-test.ts --url http://127.0.0.1:3210 [--tickets 100] [--vms 10]
 */
import { parseArgs } from "node:util";
import { runLoadTest } from "./load.js";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    tickets: { type: "string" },
    vms: { type: "string" },
  },
});
const url =
  values.url ?? process.env.CONVEX_URL ?? process.env.CONVEX_SELF_HOSTED_URL;
if (url === undefined) {
  console.error("Pass --url or set CONVEX_URL to the deployment URL.");
  process.exit(2);
}
const tickets = Number(values.tickets ?? 100);
const vms = Number(values.vms ?? 10);

console.log(`Load test against ${url}: ${tickets} tickets, ${vms} VMs`);
const result = await runLoadTest({ url, tickets, vms });
const ok =
  result.claims === tickets &&
  result.duplicates.length === 0 &&
  result.stats.claimed === tickets &&
  result.stats.pending === 0;
console.log(`
Load Test Results (tenant ${result.tenantId}):
==================
Tickets created:    ${result.created} in ${result.createMs.toFixed(0)} ms
Successful claims:  ${result.claims} in ${result.claimMs.toFixed(0)} ms (per VM: ${result.perVm.join(" ")})
Claimed twice:      ${result.duplicates.length}
claimNext latency:  p50 ${result.latency.p50.toFixed(1)} ms, p95 ${result.latency.p95.toFixed(1)} ms, max ${result.latency.max.toFixed(1)} ms
Stats afterwards:   ${result.stats.claimed} claimed, ${result.stats.pending} pending of ${result.stats.total}
Result:             ${ok ? "OK" : "FAILED"}`);
process.exit(ok ? 0 : 1);
