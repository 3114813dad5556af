/**
 * `http-mutation`: single-document insert mutations per second through `POST /api/mutation`
 * from 64 concurrent keep-alive connections, against a bare Node `http` server doing the same
 * SQLite insert directly (WAL, synchronous=FULL), measured in the same run. The scored baseline
 * groups the inserts of each event-loop turn into one transaction (one fsync), as Hull's
 * committer does; one fsync per row would only measure the disk's fsync rate (about 100-200/s
 * here), so that figure is logged for reference only. The servers run in their own process; the
 * load comes from this one. Also reports p50/p99 latency of an indexed point query through
 * `POST /api/query`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runConvexCli } from "../../../e2e/src/convex-cli.js";
import { copyFixture } from "../../../e2e/src/fixture-app.js";
import { freePort } from "../../../e2e/src/free-port.js";
import { startHull } from "../../../e2e/src/hull-process.js";
import type { BenchScenario } from "../bench-scenario.js";
import {
  measureLatency,
  measureThroughput,
  type LoadTarget,
} from "../support/http-load.js";

const CONNECTIONS = 64;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;
const LATENCY_SAMPLES = 1_000;

const bareServer = fileURLToPath(
  new URL("../support/bare-insert-server.ts", import.meta.url),
);

function sendTarget(port: number): LoadTarget {
  return {
    port,
    path: "/api/mutation",
    body: (i) => ({
      path: "messages:send",
      format: "convex_encoded_json",
      args: [
        {
          author: `author-${i % 100}`,
          body: `message number ${i} with a little text`,
        },
      ],
    }),
  };
}

async function measureBaseline(mode: "group" | "row"): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "hull-bench-bare-"));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      bareServer,
      String(port),
      join(dir, "bare.sqlite3"),
      mode,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resolve();
      });
      child.once("exit", (code) =>
        reject(new Error(`baseline server exited with ${code}`)),
      );
    });
    await measureThroughput(sendTarget(port), CONNECTIONS, WARMUP_MS);
    return await measureThroughput(sendTarget(port), CONNECTIONS, MEASURE_MS);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureHull(log: (line: string) => void): Promise<number> {
  await using hull = await startHull();
  await using app = await copyFixture("basic");
  const push = await runConvexCli(["dev", "--once", "--typecheck", "disable"], {
    cwd: app.dir,
    url: hull.url,
    adminKey: hull.adminKey,
    home: app.home,
  });
  if (push.exitCode !== 0) throw new Error(`push failed:\n${push.stderr}`);
  const port = Number(new URL(hull.url).port);
  await measureThroughput(sendTarget(port), CONNECTIONS, WARMUP_MS);
  const rate = await measureThroughput(
    sendTarget(port),
    CONNECTIONS,
    MEASURE_MS,
  );
  const counter = {
    path: "counters:increment",
    format: "convex_encoded_json",
    args: [{ name: "bench" }],
  };
  await measureLatency({ port, path: "/api/mutation", body: () => counter }, 1);
  const { p50, p99 } = await measureLatency(
    {
      port,
      path: "/api/query",
      body: () => ({
        path: "counters:read",
        format: "convex_encoded_json",
        args: [{ name: "bench" }],
      }),
    },
    LATENCY_SAMPLES,
  );
  log(
    `indexed point query through POST /api/query: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
  );
  return rate;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

export const scenario: BenchScenario = {
  name: "http-mutation",
  description:
    "insert mutations/s through POST /api/mutation (64 keep-alive connections) vs a bare node:http server doing the same SQLite insert (grouped per event-loop turn); p50/p99 of an indexed point query",
  async run(log) {
    const perRow = await measureBaseline("row");
    log(`bare server, one fsync per row: ${perRow.toFixed(0)} inserts/s`);
    const baseline = await measureBaseline("group");
    log(`baseline (grouped inserts): ${baseline.toFixed(0)} inserts/s`);
    const hull = await measureHull(log);
    log(`hull: ${hull.toFixed(0)} mutations/s`);
    return {
      unit: "mutations/s",
      hull: Math.round(hull),
      baseline: Math.round(baseline),
      baselineName:
        "bare node:http + better-sqlite3 insert, one transaction per event-loop turn",
      better: "higher",
    };
  },
};
