/**
 * `failover`: two Hull processes serve one deployment from PostgreSQL under a steady mutation load
 * through both; one is killed with SIGKILL, and the scenario reports the seconds from the kill to
 * the first mutation acknowledged through the survivor that was *sent after* the kill. The
 * baseline is the target (5 s); lower is better.
 */
import { ConvexHttpClient } from "convex/browser";
import { mutationRef } from "../../../e2e/src/function-refs.js";
import type { BenchScenario } from "../bench-scenario.js";
import { startPgDeployment } from "../support/pg-deployment.js";

const TARGET_SECONDS = 5;
const WRITERS_PER_PROCESS = 4;
const LOAD_BEFORE_KILL_MS = 2_000;

export const scenario: BenchScenario = {
  name: "failover",
  description:
    "seconds from kill -9 of one of two Hull processes on PostgreSQL (under mutation load) to the first mutation sent afterwards and acknowledged by the survivor, vs the 5 s target",
  async run(log) {
    await using deployment = await startPgDeployment(2);
    const [victim, survivor] = deployment.processes as [
      (typeof deployment.processes)[0],
      (typeof deployment.processes)[0],
    ];
    const send = mutationRef("messages:send");
    let stop = false;
    let acknowledged = 0;
    let killedAt: number | null = null;
    let recoveredAfterMs = null as number | null;
    const writer = async (url: string, n: number): Promise<void> => {
      const client = new ConvexHttpClient(url, { logger: false });
      let i = 0;
      while (!stop) {
        const sentAt = performance.now();
        try {
          await client.mutation(send, {
            author: `writer-${n}`,
            body: `message ${i++}`,
          });
          acknowledged += 1;
          if (
            killedAt !== null &&
            sentAt >= killedAt &&
            recoveredAfterMs === null
          )
            recoveredAfterMs = performance.now() - killedAt;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    };
    const writers = [
      ...Array.from({ length: WRITERS_PER_PROCESS }, (_, n) =>
        writer(victim.url, n),
      ),
      ...Array.from({ length: WRITERS_PER_PROCESS }, (_, n) =>
        writer(survivor.url, WRITERS_PER_PROCESS + n),
      ),
    ];
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_KILL_MS));
    log(`acknowledged before the kill: ${acknowledged}`);
    killedAt = performance.now();
    await victim.kill9();
    const deadline = Date.now() + 3 * TARGET_SECONDS * 1000;
    while (recoveredAfterMs === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await Promise.all(writers);
    if (recoveredAfterMs === null)
      throw new Error("no mutation was acknowledged after the kill");
    const seconds = recoveredAfterMs / 1000;
    log(`first acknowledged mutation after the kill: ${seconds.toFixed(3)} s`);
    return {
      unit: "s",
      hull: Number(seconds.toFixed(3)),
      baseline: TARGET_SECONDS,
      baselineName: "issue 6 target",
      better: "lower",
    };
  },
};
