/**
 * `ws-mutation`: mutations per second over the sync protocol from 64 WebSocket clients in closed
 * loops (a client sends its next mutation once the previous one resolved, i.e. its
 * MutationResponse and the Transition after it arrived). Each client increments its own counter,
 * so commits do not conflict. Baseline: round trips per second of 64 clients against a bare `ws`
 * echo server (own process), in the same run. Target (issue 4): ratio ≥ 0.3.
 *
 * Both sides also log their CPU time per operation (server process, and this process as the
 * client): when the machine's cores are all busy, operations per second are bounded by cores
 * divided by CPU time per operation, so the two CPU costs bound the ratio.
 */
import { WebSocket } from "ws";
import type { BenchScenario } from "../bench-scenario.js";
import { startBareWsServer } from "../support/bare-ws-process.js";
import { cpuMsOf, ownCpuMs } from "../support/cpu-time.js";
import { startDeployedHull } from "../support/deployed-hull.js";
import { connectMany } from "../support/sync-client.js";

const CLIENTS = 64;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;

/** A measured rate and the CPU time per operation of the server (and its main thread) and client. */
interface Measured {
  readonly perSecond: number;
  readonly serverCpuUs: number;
  readonly serverMainThreadCpuUs: number;
  readonly clientCpuUs: number;
}

/**
 * Runs `step(i)` in a closed loop for each client until the deadline; returns completed
 * operations per second and the CPU time per operation of `serverPid` and of this process.
 */
async function closedLoops(
  durationMs: number,
  serverPid: number,
  step: (client: number) => Promise<void>,
): Promise<Measured> {
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  const server = cpuMsOf(serverPid);
  const client = ownCpuMs();
  let completed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (performance.now() < deadline) {
        await step(i);
        completed++;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const serverAfter = cpuMsOf(serverPid);
  const usPerOp = (ms: number): number => (ms * 1000) / completed;
  return {
    perSecond: (completed * 1000) / elapsedMs,
    serverCpuUs: usPerOp(serverAfter.total - server.total),
    serverMainThreadCpuUs: usPerOp(serverAfter.mainThread - server.mainThread),
    clientCpuUs: usPerOp(ownCpuMs() - client),
  };
}

function summary(measured: Measured, unit: string): string {
  return `${measured.perSecond.toFixed(0)} ${unit}/s; CPU per operation: server ${measured.serverCpuUs.toFixed(0)} µs (main thread ${measured.serverMainThreadCpuUs.toFixed(0)} µs), client ${measured.clientCpuUs.toFixed(0)} µs`;
}

async function measureHull(): Promise<Measured> {
  await using deployed = await startDeployedHull("live");
  const clients = await connectMany(deployed.url, CLIENTS, "mutator");
  try {
    const step = async (i: number): Promise<void> => {
      await clients[i]!.mutation("counters:increment", {
        name: `mutator-${i}`,
      });
    };
    await closedLoops(WARMUP_MS, deployed.pid, step);
    return await closedLoops(MEASURE_MS, deployed.pid, step);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function measureBaseline(): Promise<Measured> {
  await using server = await startBareWsServer("echo");
  const sockets = await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(server.url, { perMessageDeflate: false });
          ws.once("open", () => resolve(ws));
          ws.once("error", reject);
        }),
    ),
  );
  try {
    const step = (i: number): Promise<void> =>
      new Promise((resolve) => {
        const ws = sockets[i]!;
        ws.once("message", () => resolve());
        ws.send(
          JSON.stringify({
            type: "Mutation",
            requestId: 0,
            udfPath: "counters:increment",
            args: [{ name: "x" }],
          }),
        );
      });
    await closedLoops(WARMUP_MS, server.pid, step);
    return await closedLoops(MEASURE_MS, server.pid, step);
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

export const scenario: BenchScenario = {
  name: "ws-mutation",
  description:
    "mutations/s over the sync protocol from 64 WebSocket clients (closed loops, resolved as ConvexClient resolves them) vs ws echo round trips/s",
  async run(log) {
    const baseline = await measureBaseline();
    log(`bare ws echo: ${summary(baseline, "round trips")}`);
    const hull = await measureHull();
    log(`hull: ${summary(hull, "mutations")}`);
    return {
      unit: "operations/s",
      hull: Math.round(hull.perSecond),
      baseline: Math.round(baseline.perSecond),
      baselineName: "bare ws echo round trips",
      better: "higher",
    };
  },
};
