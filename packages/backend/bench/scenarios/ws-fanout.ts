/**
 * `ws-fanout`: 1,000 sync-protocol WebSocket clients subscribed to one query; the time from a
 * mutation being sent to the last client receiving the Transition with its effect (p50 and p99
 * over repeated mutations). Baseline: a bare `ws` server (own process, like Hull) broadcasting a
 * payload of the same size to 1,000 clients when one client asks, measured the same way in the
 * same run. Target (issue 4): Hull's p99 ≤ 2× the bare broadcast p99.
 */
import { WebSocket } from "ws";
import type { BenchScenario } from "../bench-scenario.js";
import { startBareWsServer } from "../support/bare-ws-process.js";
import { startDeployedHull } from "../support/deployed-hull.js";
import { connectMany, quantile, SyncClient } from "../support/sync-client.js";

const CLIENTS = 1_000;
const WARMUP_ROUNDS = 5;
const ROUNDS = 40;

interface FanoutResult {
  readonly p50: number;
  readonly p99: number;
  readonly frameChars: number;
}

async function measureHull(log: (line: string) => void): Promise<FanoutResult> {
  await using deployed = await startDeployedHull("live");
  const clients = await connectMany(deployed.url, CLIENTS, "fanout");
  const writer = await SyncClient.connect(deployed.url, "fanout-writer");
  try {
    let expected = 0;
    let remaining = CLIENTS;
    let last = 0;
    let frameChars = 0;
    let roundDone: () => void = () => {};
    for (const client of clients) {
      client.onUpdate = (update) => {
        if (update.value !== expected) return;
        last = Math.max(last, update.receivedAt);
        frameChars = update.frameChars;
        if (--remaining === 0) roundDone();
      };
    }
    const round = async (value: number, send: () => void): Promise<number> => {
      expected = value;
      remaining = CLIENTS;
      last = 0;
      const done = new Promise<void>((resolve) => (roundDone = resolve));
      const start = performance.now();
      send();
      await done;
      return last - start;
    };
    await round(0, () =>
      clients.forEach((c) =>
        c.subscribe(0, "counters:read", { name: "fanout" }),
      ),
    );
    log(`${CLIENTS} clients subscribed`);
    const samples: number[] = [];
    for (let i = 1; i <= WARMUP_ROUNDS + ROUNDS; i++) {
      const ms = await round(
        i,
        () => void writer.mutation("counters:increment", { name: "fanout" }),
      );
      if (i > WARMUP_ROUNDS) samples.push(ms);
    }
    return {
      p50: quantile(samples, 0.5),
      p99: quantile(samples, 0.99),
      frameChars,
    };
  } finally {
    await Promise.all([...clients, writer].map((c) => c.close()));
  }
}

async function measureBaseline(frameChars: number): Promise<FanoutResult> {
  await using server = await startBareWsServer("broadcast");
  const open = (): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(server.url, { perMessageDeflate: false });
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    });
  const clients: WebSocket[] = [];
  for (let i = 0; i < CLIENTS; i += 100)
    clients.push(...(await Promise.all(Array.from({ length: 100 }, open))));
  const trigger = await open();
  try {
    let remaining = 0;
    let last = 0;
    let roundDone: () => void = () => {};
    for (const ws of clients) {
      ws.on("message", () => {
        last = Math.max(last, performance.now());
        if (--remaining === 0) roundDone();
      });
    }
    const samples: number[] = [];
    for (let i = 1; i <= WARMUP_ROUNDS + ROUNDS; i++) {
      remaining = CLIENTS;
      last = 0;
      const done = new Promise<void>((resolve) => (roundDone = resolve));
      const start = performance.now();
      trigger.send(`go:${frameChars}`);
      await done;
      if (i > WARMUP_ROUNDS) samples.push(last - start);
    }
    return {
      p50: quantile(samples, 0.5),
      p99: quantile(samples, 0.99),
      frameChars,
    };
  } finally {
    for (const ws of [...clients, trigger]) ws.terminate();
  }
}

export const scenario: BenchScenario = {
  name: "ws-fanout",
  description:
    "1,000 WebSocket subscribers of one query: mutation sent → last client has the Transition (p99), vs a bare ws broadcast of the same payload size",
  async run(log) {
    const hull = await measureHull(log);
    log(
      `hull: p50 ${hull.p50.toFixed(1)} ms, p99 ${hull.p99.toFixed(1)} ms, Transition ${hull.frameChars} chars`,
    );
    const bare = await measureBaseline(hull.frameChars);
    log(
      `bare ws broadcast: p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms`,
    );
    return {
      unit: "ms p99 (to the last of 1,000 clients)",
      hull: Number(hull.p99.toFixed(2)),
      baseline: Number(bare.p99.toFixed(2)),
      baselineName: "bare ws broadcast of the same payload size",
      better: "lower",
    };
  },
};
