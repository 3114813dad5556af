/**
 * The contract of a benchmark scenario (one file per scenario, `scenarios/<name>.ts`, exporting
 * `scenario` whose `name` is the file's name) and the line every scenario prints last.
 */

/** The JSON object a scenario prints as its last line and appends to `bench/results.jsonl`. */
export interface BenchResult {
  readonly scenario: string;
  readonly unit: string;
  readonly hull: number;
  readonly baseline: number;
  readonly baselineName: string;
  readonly better: "higher" | "lower";
  /** `hull / baseline`. */
  readonly ratio: number;
}

export type BenchMeasurement = Omit<BenchResult, "scenario" | "ratio">;

export interface BenchScenario {
  readonly name: string;
  /** One sentence: what is measured against what. */
  readonly description: string;
  /** Runs the scenario (under 30 s); `log` prints progress lines before the result line. */
  run(log: (line: string) => void): Promise<BenchMeasurement>;
}

/** Runs `step` repeatedly for `durationMs`; returns operations per second. */
export function ratePerSecond(durationMs: number, step: () => number): number {
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < durationMs) ops += step();
  return (ops * 1000) / (performance.now() - start);
}
