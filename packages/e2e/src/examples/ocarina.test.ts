import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  simulateAndVerify,
  watchProgress,
  type Progress,
} from "../../../../examples/ocarina/scripts/simulation.js";
import { deployExample, type DeployedExample } from "../example-app.js";

let deployed: DeployedExample;

beforeAll(async () => {
  deployed = await deployExample("ocarina");
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

describe("the ocarina example", () => {
  test("a 30-day, four-model simulation writes every record and reads each count back", async () => {
    const result = await simulateAndVerify(deployed.hull.url, 30);
    process.stdout.write(
      `ocarina: 30 days, ${result.writes} documents in ${result.mutations} mutations, ${Math.round(result.elapsedMs)} ms\n`,
    );
    expect(result.mismatches).toEqual([]);
    expect(result.expected).toEqual({
      states: 120,
      actions: 6_000,
      metrics: 120,
      events: 30,
    });
    expect(result.totals).toEqual(result.expected);

    const seen: Progress[] = [];
    const final = await new Promise<Progress>((resolve) => {
      const stop = watchProgress(deployed.hull.url, result.runId, (p) => {
        seen.push(p);
        if (p.status === "completed") {
          void stop();
          resolve(p);
        }
      });
    });
    expect(final).toMatchObject({ day: 30, status: "completed" });
  }, 90_000);
});
