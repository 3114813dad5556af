/**
 * `idle-connections`: server memory per idle WebSocket connection holding one live subscription
 * (10,000 connections, distinct arguments each, so 10,000 distinct executions with their read
 * sets), measured as the growth of the server process's resident set size. Baseline: the same
 * number of idle connections to a bare `ws` server (own process). Target (issue 4): ≤ 30 KiB
 * per connection for Hull.
 */
import { WebSocket } from "ws";
import type { BenchScenario } from "../bench-scenario.js";
import { startBareWsServer } from "../support/bare-ws-process.js";
import { rssOf, startDeployedHull } from "../support/deployed-hull.js";
import { connectMany, SyncClient } from "../support/sync-client.js";

const CONNECTIONS = 10_000;
/** Let allocation settle (and the server's GC run) before reading its RSS. */
const SETTLE_MS = 2_000;

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

async function measureHull(log: (line: string) => void): Promise<number> {
  await using deployed = await startDeployedHull("live");
  // Warm the runtime (modules loaded, workers started) before the reference reading.
  const warm = await SyncClient.connect(deployed.url, "warm");
  await warm.mutation("counters:increment", { name: "warm" });
  await settle();
  const before = deployed.rssBytes();
  const clients = await connectMany(deployed.url, CONNECTIONS, "idle");
  try {
    let remaining = CONNECTIONS;
    const subscribed = new Promise<void>((resolve) => {
      for (const client of clients) {
        client.onUpdate = () => {
          if (--remaining === 0) resolve();
        };
      }
    });
    const start = performance.now();
    clients.forEach((client, i) =>
      client.subscribe(0, "counters:read", { name: `idle-${i}` }),
    );
    await subscribed;
    log(
      `${CONNECTIONS} subscriptions answered in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
    await settle();
    return (deployed.rssBytes() - before) / CONNECTIONS / 1024;
  } finally {
    await Promise.all([...clients, warm].map((c) => c.close()));
  }
}

async function measureBaseline(): Promise<number> {
  await using server = await startBareWsServer("idle");
  await settle();
  const before = rssOf(server.pid);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < CONNECTIONS; i += 200) {
    sockets.push(
      ...(await Promise.all(
        Array.from(
          { length: Math.min(200, CONNECTIONS - i) },
          () =>
            new Promise<WebSocket>((resolve, reject) => {
              const ws = new WebSocket(server.url, {
                perMessageDeflate: false,
              });
              ws.once("open", () => resolve(ws));
              ws.once("error", reject);
            }),
        ),
      )),
    );
  }
  try {
    await settle();
    return (rssOf(server.pid) - before) / CONNECTIONS / 1024;
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

export const scenario: BenchScenario = {
  name: "idle-connections",
  description:
    "server RSS growth per idle WebSocket connection holding one subscription (10,000, distinct args) vs idle connections to a bare ws server",
  async run(log) {
    const baseline = await measureBaseline();
    log(`bare ws: ${baseline.toFixed(1)} KiB per idle connection`);
    const hull = await measureHull(log);
    log(
      `hull: ${hull.toFixed(1)} KiB per connection with one subscription (target ≤ 30)`,
    );
    return {
      unit: "KiB per connection",
      hull: Number(hull.toFixed(1)),
      baseline: Number(baseline.toFixed(1)),
      baselineName: "idle connection to a bare ws server",
      better: "lower",
    };
  },
};
