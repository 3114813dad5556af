import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Hull's drop-in `convexTest` harness (issue 7), from this repository's sources. */
const hullTesting = fileURLToPath(
  new URL("../../packages/backend/src/harness/convex-test.ts", import.meta.url),
);

export default defineConfig({
  resolve: { alias: { "hull/testing": hullTesting }, dedupe: ["convex"] },
  test: {
    name: "swarm",
    environment: "node",
    include: ["convex/**/*.test.ts"],
  },
});
