/**
 * `harness`: the same `convexTest` workload (`support/harness-workload.ts`: 1,000 mutations,
 * index pagination, 100 index queries, 100 scheduled functions finished) through Hull's
 * harness and through `convex-test` 0.0.60, each side in its own process (both install a
 * `Convex` global), alternating sides so machine load affects both alike. Reports workloads
 * per second (median run of each side).
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchScenario } from "../bench-scenario.js";

const here = dirname(fileURLToPath(import.meta.url));
const workload = join(here, "..", "support", "harness-workload.ts");
/** Process pairs; each process reports 3 timed runs after a warm-up. */
const ROUNDS = 2;

interface SideResult {
  readonly runsMs: number[];
  readonly setupMs: number;
}

function runSide(side: "hull" | "convex-test"): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", workload, side], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`${side} exited with ${code}`));
      resolve(JSON.parse(line) as SideResult);
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const scenario: BenchScenario = {
  name: "harness",
  description:
    "convexTest workloads/s (1,000 mutations, paginated index reads, 100 index queries, 100 scheduled functions): Hull's harness vs convex-test 0.0.60",
  async run(log) {
    const hull: number[] = [];
    const mock: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ours = await runSide("hull");
      const theirs = await runSide("convex-test");
      hull.push(...ours.runsMs);
      mock.push(...theirs.runsMs);
      log(
        `round ${round + 1}: new instance costs ${ours.setupMs.toFixed(3)} ms (hull), ${theirs.setupMs.toFixed(3)} ms (convex-test)`,
      );
      log(
        `round ${round + 1}: hull ${hull
          .slice(-3)
          .map((ms) => ms.toFixed(0))
          .join("/")} ms, convex-test ${mock
          .slice(-3)
          .map((ms) => ms.toFixed(0))
          .join("/")} ms`,
      );
    }
    return {
      unit: "workloads/s",
      hull: Number((1000 / median(hull)).toFixed(3)),
      baseline: Number((1000 / median(mock)).toFixed(3)),
      baselineName: "convex-test 0.0.60 (same workload, same fixture app)",
      better: "higher",
    };
  },
};
