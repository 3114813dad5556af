import { defineConfig } from "vitest/config";

/**
 * Three projects, selected by file name (STYLE.md §5.5), and the examples' own suites:
 * - unit: colocated `*.test.ts` beside the code;
 * - pg: `*.pg.test.ts`, run against a real PostgreSQL (a throwaway cluster or TEST_PG_URL);
 * - e2e: `packages/e2e`, black-box tests that start real Hull processes (the PostgreSQL ones use
 *   the same throwaway cluster as the pg project).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/backend/src/**/*.test.ts"],
          exclude: ["**/*.pg.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "pg",
          include: ["packages/backend/src/**/*.pg.test.ts"],
          globalSetup: [
            "packages/backend/src/storage/postgres/test-global-setup.ts",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["packages/e2e/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/fixtures/**"],
          globalSetup: [
            "packages/backend/src/storage/postgres/test-global-setup.ts",
          ],
          fileParallelism: false,
        },
      },
      // The example apps' own convexTest suites, on Hull's harness (their vitest configs).
      "examples/swarm/vitest.config.ts",
      "examples/agent-workflows/vitest.config.ts",
    ],
  },
});
