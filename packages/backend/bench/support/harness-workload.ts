/**
 * The `harness` benchmark's workload, run in its own process for one side
 * (`node --import tsx harness-workload.ts hull|convex-test`): the harness fixture app, its
 * modules map built by hand (no Vite here, so no `import.meta.glob`). Prints one JSON line:
 * `{ side, runsMs: number[] }`, the wall time of each run after a warm-up.
 *
 * One run: a fresh `convexTest` instance; 1,000 `messages:send` mutations (100 authors); every
 * page of `messages:page` (50 per page, through the `by_author` index); 100 `messages:byAuthor`
 * index queries; 100 `jobs:later` mutations each scheduling a function, then
 * `finishAllScheduledFunctions`.
 */
import type { ConvexTest } from "./harness-workload-types.js";

const fixtures = "../../src/harness/fixtures/convex";

const modules: Record<string, () => Promise<unknown>> = {
  "./convex/_generated/api.ts": () => import(`${fixtures}/_generated/api.js`),
  "./convex/_generated/server.ts": () =>
    import(`${fixtures}/_generated/server.js`),
  "./convex/actions.ts": () => import(`${fixtures}/actions.js`),
  "./convex/counters.ts": () => import(`${fixtures}/counters.js`),
  "./convex/files.ts": () => import(`${fixtures}/files.js`),
  "./convex/http.ts": () => import(`${fixtures}/http.js`),
  "./convex/jobs.ts": () => import(`${fixtures}/jobs.js`),
  "./convex/messages.ts": () => import(`${fixtures}/messages.js`),
  "./convex/schema.ts": () => import(`${fixtures}/schema.js`),
};

const DOCUMENTS = 1000;
const AUTHORS = 100;
const PAGE_SIZE = 50;
const JOBS = 100;
const RUNS = 3;

async function workload(
  convexTest: ConvexTest,
  schema: unknown,
): Promise<void> {
  const { api } = (await import(`${fixtures}/_generated/api.js`)) as {
    api: Record<string, Record<string, unknown>>;
  };
  const t = convexTest(schema, modules);
  for (let i = 0; i < DOCUMENTS; i++) {
    await t.mutation(api["messages"]!["send"], {
      author: `author${i % AUTHORS}`,
      body: `message ${i}`,
    });
  }
  let cursor: string | null = null;
  let seen = 0;
  for (;;) {
    const page = (await t.query(api["messages"]!["page"], {
      paginationOpts: { numItems: PAGE_SIZE, cursor },
    })) as { page: unknown[]; isDone: boolean; continueCursor: string };
    seen += page.page.length;
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  if (seen !== DOCUMENTS) throw new Error(`paged ${seen} documents`);
  for (let i = 0; i < AUTHORS; i++) {
    const found = (await t.query(api["messages"]!["byAuthor"], {
      author: `author${i}`,
    })) as unknown[];
    if (found.length !== DOCUMENTS / AUTHORS) throw new Error("index query");
  }
  for (let i = 0; i < JOBS; i++) {
    await t.mutation(api["jobs"]!["later"], { kind: `job${i}`, delayMs: 0 });
  }
  await t.finishAllScheduledFunctions(() => {});
  const events = (await t.query(api["jobs"]!["events"], {})) as unknown[];
  if (events.length !== JOBS) throw new Error(`${events.length} jobs ran`);
}

const SETUP_SAMPLES = 200;

/** What a new instance costs: its first (trivial) query minus the same query on a used one. */
async function setupCost(
  convexTest: ConvexTest,
  schema: unknown,
): Promise<number> {
  const { api } = (await import(`${fixtures}/_generated/api.js`)) as {
    api: Record<string, Record<string, unknown>>;
  };
  const whoAmI = api["messages"]!["whoAmI"];
  let start = performance.now();
  for (let i = 0; i < SETUP_SAMPLES; i++) {
    await convexTest(schema, modules).query(whoAmI, {});
  }
  const first = (performance.now() - start) / SETUP_SAMPLES;
  const t = convexTest(schema, modules);
  await t.query(whoAmI, {});
  start = performance.now();
  for (let i = 0; i < SETUP_SAMPLES; i++) await t.query(whoAmI, {});
  return first - (performance.now() - start) / SETUP_SAMPLES;
}

async function main(side: string): Promise<void> {
  const schema = (
    (await import(`${fixtures}/schema.js`)) as { default: unknown }
  ).default;
  const convexTest =
    side === "hull"
      ? (
          (await import("../../src/harness/convex-test.js")) as unknown as {
            convexTest: ConvexTest;
          }
        ).convexTest
      : ((await import("convex-test")) as unknown as { convexTest: ConvexTest })
          .convexTest;
  await workload(convexTest, schema);
  const runsMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await workload(convexTest, schema);
    runsMs.push(performance.now() - start);
  }
  const setupMs = await setupCost(convexTest, schema);
  process.stdout.write(`${JSON.stringify({ side, runsMs, setupMs })}\n`);
}

await main(process.argv[2] ?? "hull");
