import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkConvexStore } from "../../../../examples/mastra/scripts/store-check.js";
import { checkNativeVector } from "../../../../examples/mastra/scripts/vector-check.js";
import { deployExample, type DeployedExample } from "../example-app.js";

let deployed: DeployedExample;

beforeAll(async () => {
  deployed = await deployExample("mastra");
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

describe("the mastra example", () => {
  test("@mastra/convex's ConvexStore keeps threads, messages, resources and workflow runs on Hull", async () => {
    const report = await checkConvexStore({
      url: deployed.hull.url,
      adminKey: deployed.hull.adminKey,
    });
    expect(report.domains).toEqual([
      "threads",
      "messages",
      "resources",
      "workflow runs",
    ]);
    expect(report.calls).toBeGreaterThan(10);
  }, 60_000);

  test("@mastra/convex's ConvexNativeVector upserts, queries by cosine similarity with filters, updates and deletes through ctx.vectorSearch", async () => {
    const report = await checkNativeVector({
      url: deployed.hull.url,
      adminKey: deployed.hull.adminKey,
    });
    expect(report).toEqual({
      nearest: ["north", "north-east", "east"],
      nearestForTenant: ["north", "east"],
      countAfterDelete: 3,
    });
  }, 60_000);
});
