/**
 * The benchmark runner: `npm run bench` runs every scenario in `scenarios/`, `npm run bench --
 * <name>` runs one. Each scenario's result is printed as one JSON line (its last line) and
 * appended to `bench/results.jsonl` at the repository root.
 */
import { appendFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchResult, BenchScenario } from "./bench-scenario.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const resultsFile = join(repoRoot, "bench", "results.jsonl");

async function loadScenarios(): Promise<BenchScenario[]> {
  const dir = join(here, "scenarios");
  const files = readdirSync(dir).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  );
  const scenarios: BenchScenario[] = [];
  for (const file of files.sort()) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as {
      scenario?: BenchScenario;
    };
    if (module.scenario !== undefined) scenarios.push(module.scenario);
  }
  return scenarios;
}

async function runScenario(scenario: BenchScenario): Promise<void> {
  const log = (line: string): void => {
    process.stdout.write(`[${scenario.name}] ${line}\n`);
  };
  log(scenario.description);
  const measured = await scenario.run(log);
  const result: BenchResult = {
    scenario: scenario.name,
    ...measured,
    ratio: Number((measured.hull / measured.baseline).toFixed(3)),
  };
  const line = JSON.stringify(result);
  mkdirSync(dirname(resultsFile), { recursive: true });
  appendFileSync(resultsFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenarios = await loadScenarios();
  const selected =
    wanted.length === 0
      ? scenarios
      : scenarios.filter((s) => wanted.includes(s.name));
  const unknown = wanted.filter(
    (name) => !scenarios.some((s) => s.name === name),
  );
  if (unknown.length > 0) {
    process.stderr.write(
      `Unknown scenario(s): ${unknown.join(", ")}. Known: ${scenarios.map((s) => s.name).join(", ")}\n`,
    );
    process.exitCode = 2;
    return;
  }
  for (const scenario of selected) await runScenario(scenario);
}

await main();
