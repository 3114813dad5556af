/**
 * Vitest global setup of the `pg` project: one PostgreSQL server per test run (a throwaway
 * cluster, or `TEST_PG_URL`), handed to the test files as `inject("hullPgServerUrl")`, together
 * with the prefix of the run's database names. At the end of the run the throwaway cluster is
 * stopped and deleted; on a `TEST_PG_URL` server the run's databases are dropped.
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { dropDatabases, startTestCluster } from "./test-cluster.js";

export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  const prefix = `hull_test_${randomBytes(4).toString("hex")}_`;
  project.provide("hullPgServerUrl", cluster.url);
  project.provide("hullPgDatabasePrefix", prefix);
  return async () => {
    try {
      if (cluster.external) await dropDatabases(cluster.url, prefix);
    } finally {
      await cluster.stop();
    }
  };
}
