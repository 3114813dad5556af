/**
 * Vitest global setup of the `pg` project: one PostgreSQL server per test run (a throwaway
 * cluster, or `TEST_PG_URL`), handed to the test files as `inject("hullPgServerUrl")` and stopped
 * when the run ends.
 */
import type { TestProject } from "vitest/node";
import { startTestCluster } from "./test-cluster.js";

export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  project.provide("hullPgServerUrl", cluster.url);
  return () => cluster.stop();
}
