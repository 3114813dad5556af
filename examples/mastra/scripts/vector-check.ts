/**
 * Exercises the published `ConvexNativeVector` against a deployment of this example, through
 * Mastra's own vector API: vectors are upserted into `docs_vectors`, queried by cosine
 * similarity (with and without a filter on `tenantId`), updated and deleted. Every step asserts
 * what Mastra's contract promises.
 */
import assert from "node:assert/strict";
import { ConvexNativeVector } from "@mastra/convex";

export interface VectorCheckOptions {
  /** The deployment URL. */
  readonly url: string;
  /** An admin key: `ConvexNativeVector` authenticates its calls with it. */
  readonly adminKey: string;
}

/** What the check saw: the ids of the nearest vectors, in order. */
export interface VectorCheckReport {
  readonly nearest: readonly string[];
  readonly nearestForTenant: readonly string[];
  readonly countAfterDelete: number;
}

const INDEX = "docs";

/** Runs every check; rejects with an assertion error at the first broken promise. */
export async function checkNativeVector(
  options: VectorCheckOptions,
): Promise<VectorCheckReport> {
  const vectors = new ConvexNativeVector({
    id: "hull-native-vectors",
    deploymentUrl: options.url,
    adminAuthToken: options.adminKey,
    indexes: {
      [INDEX]: {
        tableName: "docs_vectors",
        dimension: 4,
        filterFields: ["tenantId"],
      },
    },
  });
  await vectors.createIndex({ indexName: INDEX, dimension: 4 });
  const ids = await vectors.upsert({
    indexName: INDEX,
    ids: ["north", "north-east", "east", "south"],
    vectors: [
      [1, 0, 0, 0],
      [0.7, 0.7, 0, 0],
      [0, 1, 0, 0],
      [-1, 0, 0, 0],
    ],
    metadata: [
      { tenantId: "acme", text: "north" },
      { tenantId: "globex", text: "north-east" },
      { tenantId: "acme", text: "east" },
      { tenantId: "acme", text: "south" },
    ],
  });
  assert.deepEqual(ids, ["north", "north-east", "east", "south"]);

  const nearest = await vectors.query({
    indexName: INDEX,
    queryVector: [0.9, 0.1, 0, 0],
    topK: 3,
  });
  assert.deepEqual(
    nearest.map((r) => r.id),
    ["north", "north-east", "east"],
  );
  assert.ok(nearest[0]!.score > 0.99 && nearest[0]!.score <= 1);
  assert.deepEqual(nearest[0]!.metadata, { tenantId: "acme", text: "north" });

  const forTenant = await vectors.query({
    indexName: INDEX,
    queryVector: [0.9, 0.1, 0, 0],
    topK: 2,
    filter: { tenantId: "acme" },
  });
  assert.deepEqual(
    forTenant.map((r) => r.id),
    ["north", "east"],
  );

  // Turning "south" to face north makes it the nearest; deleting "north" removes it.
  await vectors.updateVector({
    indexName: INDEX,
    id: "south",
    update: { vector: [1, 0.05, 0, 0] },
  });
  await vectors.deleteVector({ indexName: INDEX, id: "north" });
  const after = await vectors.query({
    indexName: INDEX,
    queryVector: [1, 0, 0, 0],
    topK: 1,
  });
  assert.deepEqual(
    after.map((r) => r.id),
    ["south"],
  );
  const { count } = await vectors.describeIndex({ indexName: INDEX });
  assert.equal(count, 3);
  return {
    nearest: nearest.map((r) => r.id),
    nearestForTenant: forTenant.map((r) => r.id),
    countAfterDelete: count,
  };
}
