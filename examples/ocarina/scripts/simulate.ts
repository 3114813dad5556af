/**
 * Runs an Ocarina simulation against a deployment and prints a live progress bar fed by a
 * `ConvexClient` subscription (not by the writer), then checks every count.
 *
 *   node --import tsx scripts/simulate.ts --url http://127.0.0.1:3210 --days 365
 *
 * The URL comes from `--url`, else `CONVEX_URL`, else `CONVEX_SELF_HOSTED_URL`.
 */
import { parseArgs } from "node:util";
import type { Progress } from "./simulation.js";
import {
  DEFAULT_OPTIONS,
  runSimulation,
  verifyRun,
  watchProgress,
} from "./simulation.js";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    days: { type: "string" },
    "actions-per-day": { type: "string" },
    seed: { type: "string" },
    "skip-verify": { type: "boolean", default: false },
  },
});

const url =
  values.url ?? process.env.CONVEX_URL ?? process.env.CONVEX_SELF_HOSTED_URL;
if (url === undefined) {
  console.error("Pass --url or set CONVEX_URL to the deployment URL.");
  process.exit(2);
}

const options = {
  ...DEFAULT_OPTIONS,
  days: Number(values.days ?? DEFAULT_OPTIONS.days),
  actionsPerDay: Number(
    values["actions-per-day"] ?? DEFAULT_OPTIONS.actionsPerDay,
  ),
  seed: Number(values.seed ?? DEFAULT_OPTIONS.seed),
};

const BAR_WIDTH = 40;
let lastLine = "";

function render(progress: Progress) {
  const done = Math.min(progress.day / progress.days, 1);
  const filled = Math.round(done * BAR_WIDTH);
  const line =
    `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ` +
    `day ${progress.day}/${progress.days} ${(done * 100).toFixed(0)}% ${progress.status}`;
  if (line === lastLine) return;
  lastLine = line;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else if (progress.day % 10 === 0 || progress.status !== "running")
    console.log(line);
}

let stopWatching: (() => Promise<void>) | undefined;
console.log(
  `Simulating ${options.days} days, ${options.models.length} models, ` +
    `${options.actionsPerDay} actions per model-day against ${url}`,
);
const result = await runSimulation({
  ...options,
  url,
  onStart: (runId) => {
    stopWatching = watchProgress(url, runId, render);
  },
});
// Let the watcher see the final transition before closing it.
await new Promise((resolve) => setTimeout(resolve, 200));
await stopWatching?.();
if (process.stdout.isTTY) process.stdout.write("\n");

const seconds = result.elapsedMs / 1000;
console.log(
  `Run ${result.runId}: ${result.writes} documents in ${result.mutations} mutations, ` +
    `${seconds.toFixed(1)} s (${(result.writes / seconds).toFixed(0)} writes/s)`,
);

if (!values["skip-verify"]) {
  const { totals, mismatches } = await verifyRun(url, result.runId, options);
  console.log(
    `Read back: ${totals.states} states, ${totals.actions} actions, ` +
      `${totals.metrics} metrics, ${totals.events} events`,
  );
  if (mismatches.length > 0) {
    console.error(
      `${mismatches.length} counts differ, first ones:`,
      mismatches.slice(0, 10),
    );
    process.exit(1);
  }
  console.log("Every count matches.");
}
