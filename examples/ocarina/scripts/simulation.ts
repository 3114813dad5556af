/**
 * The Ocarina benchmark simulator as a library: drives a run through `ConvexHttpClient` the way
 * the benchmark harness does (one batched `processDayEnd` per model per day), follows it live
 * through `ConvexClient`, and checks every record count afterwards.
 */
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api.js";
import type { Id } from "../convex/_generated/dataModel.js";

export interface SimulationOptions {
  /** The deployment URL (Hull's or Convex's). */
  readonly url: string;
  readonly days: number;
  readonly models: readonly string[];
  /** Tool executions each model logs per day (the seed's estimate is about 50). */
  readonly actionsPerDay: number;
  /** Scenario events logged per day (by the first model's batch). */
  readonly eventsPerDay: number;
  /** Seeds the pseudo-random generator: the same seed writes the same data. */
  readonly seed: number;
  readonly scenario: string;
  readonly startingCapital: number;
  /** Called once the run exists and is running, before the first day. */
  readonly onStart?: (runId: Id<"runs">) => void;
  /** Called after each simulated day with the number of days done. */
  readonly onDay?: (day: number) => void;
}

export const DEFAULT_OPTIONS: Omit<SimulationOptions, "url"> = {
  days: 365,
  models: ["claude-sonnet-4.5", "gpt-4o", "gemini-2.5-pro", "llama-3.3-70b"],
  actionsPerDay: 50,
  eventsPerDay: 1,
  seed: 12345,
  scenario: "rideshare",
  startingCapital: 5000,
};

/** Record counts of a run, per table. */
export interface RunCounts {
  readonly states: number;
  readonly actions: number;
  readonly metrics: number;
  readonly events: number;
}

export interface SimulationResult {
  readonly runId: Id<"runs">;
  readonly expected: RunCounts;
  /** Documents written, the run document included. */
  readonly writes: number;
  readonly mutations: number;
  readonly elapsedMs: number;
}

const TOOLS = [
  "quote_price",
  "accept_ride",
  "reposition_driver",
  "set_surge",
  "check_balance",
];
const EVENT_TYPES = [
  "demand_surge",
  "fuel_price_change",
  "weather",
  "competitor_promo",
];

/** mulberry32: a tiny deterministic PRNG, good enough for synthetic data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The counts a simulation with these options must leave behind. */
export function expectedCounts(
  options: Omit<SimulationOptions, "url">,
): RunCounts {
  const modelDays = options.days * options.models.length;
  return {
    states: modelDays,
    actions: modelDays * options.actionsPerDay,
    metrics: modelDays,
    events: options.days * options.eventsPerDay,
  };
}

interface ModelBook {
  balance: number;
  ridesCompleted: number;
}

function simulateModelDay(
  random: () => number,
  book: ModelBook,
  day: number,
  count: number,
) {
  const actions = [];
  let revenue = 0;
  for (let i = 0; i < count; i++) {
    const toolName = TOOLS[Math.floor(random() * TOOLS.length)]!;
    const success = random() > 0.1;
    const fare = Math.round(random() * 4000) / 100;
    if (success && toolName === "accept_ride") {
      revenue += fare;
      book.ridesCompleted += 1;
    }
    actions.push({
      toolName,
      params: { step: i, fare },
      result: { ok: success },
      success,
    });
  }
  const costs = Math.round(random() * 20000) / 100;
  book.balance = Math.round((book.balance + revenue - costs) * 100) / 100;
  return {
    actions,
    metrics: { revenue, costs, profit: revenue - costs, balance: book.balance },
    state: { day, balance: book.balance, ridesCompleted: book.ridesCompleted },
  };
}

/**
 * Creates a run, simulates every day (the models of a day in parallel, one `processDayEnd`
 * each) and marks the run completed. Rejects, after marking the run failed, if a write fails.
 */
export async function runSimulation(
  options: SimulationOptions,
): Promise<SimulationResult> {
  const client = new ConvexHttpClient(options.url, { logger: false });
  const random = prng(options.seed);
  const started = performance.now();
  const runId = await client.mutation(api.runs.createRun, {
    scenario: options.scenario,
    models: [...options.models],
    config: {
      days: options.days,
      seed: options.seed,
      startingCapital: options.startingCapital,
    },
  });
  await client.mutation(api.runs.startRun, { runId });
  options.onStart?.(runId);
  const books = options.models.map(() => ({
    balance: options.startingCapital,
    ridesCompleted: 0,
  }));
  let mutations = 2;
  try {
    for (let day = 1; day <= options.days; day++) {
      const events = Array.from({ length: options.eventsPerDay }, () => ({
        type: EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)]!,
        data: { intensity: Math.round(random() * 100) / 100 },
      }));
      const batches = options.models.map((modelId, index) => ({
        runId,
        modelId,
        day,
        ...simulateModelDay(random, books[index]!, day, options.actionsPerDay),
        ...(index === 0 ? { events } : {}),
      }));
      await Promise.all(
        batches.map((batch) =>
          client.mutation(api.days.processDayEnd, batch, { skipQueue: true }),
        ),
      );
      mutations += batches.length;
      options.onDay?.(day);
    }
  } catch (error) {
    await client.mutation(api.runs.finishRun, { runId, status: "failed" });
    throw error;
  }
  await client.mutation(api.runs.finishRun, { runId, status: "completed" });
  mutations += 1;
  const expected = expectedCounts(options);
  return {
    runId,
    expected,
    writes:
      1 +
      expected.states +
      expected.actions +
      expected.metrics +
      expected.events,
    mutations,
    elapsedMs: performance.now() - started,
  };
}

/** One count that differs from what the simulation should have written. */
export interface CountMismatch {
  readonly day: number;
  readonly what: string;
  readonly expected: number;
  readonly actual: number;
}

/**
 * Reads a finished run back day by day (`days.dayCounts`) and compares every count, per table
 * and per model, with what `runSimulation` with these options writes. Returns the totals read
 * and every mismatch (none when the run is complete and nothing was written twice).
 */
export async function verifyRun(
  url: string,
  runId: Id<"runs">,
  options: Omit<SimulationOptions, "url">,
): Promise<{ totals: RunCounts; mismatches: CountMismatch[] }> {
  const client = new ConvexHttpClient(url, { logger: false });
  const mismatches: CountMismatch[] = [];
  const check = (
    day: number,
    what: string,
    expected: number,
    actual: number,
  ) => {
    if (expected !== actual) mismatches.push({ day, what, expected, actual });
  };
  const totals = { states: 0, actions: 0, metrics: 0, events: 0 };
  for (let day = 1; day <= options.days; day++) {
    const counts = await client.query(api.days.dayCounts, { runId, day });
    for (const key of ["states", "actions", "metrics", "events"] as const)
      totals[key] += counts[key];
    check(day, "events", options.eventsPerDay, counts.events);
    check(
      day,
      "models",
      options.models.length,
      Object.keys(counts.perModel).length,
    );
    for (const modelId of options.models) {
      const model = counts.perModel[modelId];
      check(day, `${modelId} states`, 1, model?.states ?? 0);
      check(day, `${modelId} metrics`, 1, model?.metrics ?? 0);
      check(
        day,
        `${modelId} actions`,
        options.actionsPerDay,
        model?.actions ?? 0,
      );
    }
  }
  const expected = expectedCounts(options);
  for (const key of ["states", "actions", "metrics", "events"] as const) {
    check(0, `total ${key}`, expected[key], totals[key]);
  }
  const run = await client.query(api.runs.getRun, { runId });
  if (run?.status !== "completed") {
    mismatches.push({
      day: 0,
      what: `run status ${run?.status ?? "missing"}`,
      expected: 1,
      actual: 0,
    });
  }
  return { totals, mismatches };
}

/** What a live watcher sees: the run's progress as `runs.progress` reports it. */
export interface Progress {
  readonly status: string;
  readonly day: number;
  readonly days: number;
}

/**
 * Subscribes to `runs.progress` over the sync WebSocket and calls `onProgress` on every
 * change. Returns a function that closes the subscription and the client.
 */
export function watchProgress(
  url: string,
  runId: Id<"runs">,
  onProgress: (progress: Progress) => void,
): () => Promise<void> {
  const client = new ConvexClient(url, { logger: false });
  const unsubscribe = client.onUpdate(
    api.runs.progress,
    { runId },
    (progress) => {
      if (progress !== null) onProgress(progress);
    },
  );
  return async () => {
    unsubscribe();
    await client.close();
  };
}

/**
 * The 30-day, four-model check an end-to-end test runs: simulate, then verify every count.
 * Resolves with the simulation's figures and the mismatches found (expect none).
 */
export async function simulateAndVerify(url: string, days = 30) {
  const options = { ...DEFAULT_OPTIONS, days };
  const result = await runSimulation({ ...options, url });
  const { totals, mismatches } = await verifyRun(url, result.runId, options);
  return { ...result, totals, mismatches };
}
