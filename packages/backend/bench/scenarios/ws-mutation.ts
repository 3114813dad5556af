/**
 * `ws-mutation`: mutations per second over the sync protocol from 64 WebSocket clients in closed
 * loops (a client sends its next mutation once the previous one resolved, i.e. its
 * MutationResponse and the Transition after it arrived). Each client increments its own counter,
 * so commits do not conflict. Baseline: round trips per second of 64 clients against a bare `ws`
 * echo server (own process), in the same run. Target (issue 4): ratio ≥ 0.3.
 */
import { WebSocket } from "ws";
import type { BenchScenario } from "../bench-scenario.js";
import { startBareWsServer } from "../support/bare-ws-process.js";
import { startDeployedHull } from "../support/deployed-hull.js";
import { connectMany } from "../support/sync-client.js";

const CLIENTS = 64;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;

/** Runs `loop(i)` for each client until the deadline; returns completed operations per second. */
async function closedLoops(
  durationMs: number,
  step: (client: number) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  let completed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (performance.now() < deadline) {
        await step(client);
        completed++;
      }
    }),
  );
  return (completed * 1000) / (performance.now() - start);
}

async function measureHull(): Promise<number> {
  await using deployed = await startDeployedHull("live");
  const clients = await connectMany(deployed.url, CLIENTS, "mutator");
  try {
    const step = async (i: number): Promise<void> => {
      await clients[i]!.mutation("counters:increment", {
        name: `mutator-${i}`,
      });
    };
    await closedLoops(WARMUP_MS, step);
    return await closedLoops(MEASURE_MS, step);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function measureBaseline(): Promise<number> {
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
    await closedLoops(WARMUP_MS, step);
    return await closedLoops(MEASURE_MS, step);
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
    log(`bare ws echo: ${baseline.toFixed(0)} round trips/s`);
    const hull = await measureHull();
    log(`hull: ${hull.toFixed(0)} mutations/s`);
    return {
      unit: "operations/s",
      hull: Math.round(hull),
      baseline: Math.round(baseline),
      baselineName: "bare ws echo round trips",
      better: "higher",
    };
  },
};
