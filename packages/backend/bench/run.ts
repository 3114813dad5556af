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

const scenariosDir = join(here, "scenarios");

/** Scenario files are `scenarios/<name>.ts`, each exporting `scenario`. */
function scenarioFiles(): string[] {
  return readdirSync(scenariosDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .sort();
}

async function loadScenario(file: string): Promise<BenchScenario | undefined> {
  const module = (await import(
    pathToFileURL(join(scenariosDir, file)).href
  )) as {
    scenario?: BenchScenario;
  };
  return module.scenario;
}

/**
 * The scenarios to run: all of them, or the named ones (loading only their files, so a broken
 * scenario elsewhere does not stop them).
 */
async function selectScenarios(
  names: readonly string[],
): Promise<BenchScenario[] | string> {
  const files = scenarioFiles();
  const wanted = names.length === 0 ? files : names.map((name) => `${name}.ts`);
  const unknown = wanted.filter((file) => !files.includes(file));
  if (unknown.length > 0) {
    const known = files.map((f) => f.replace(/\.ts$/, "")).join(", ");
    return `Unknown scenario(s): ${unknown.map((f) => f.replace(/\.ts$/, "")).join(", ")}. Known: ${known}`;
  }
  const scenarios: BenchScenario[] = [];
  for (const file of wanted) {
    const scenario = await loadScenario(file);
    if (scenario !== undefined) scenarios.push(scenario);
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
  const selected = await selectScenarios(process.argv.slice(2));
  if (typeof selected === "string") {
    process.stderr.write(`${selected}\n`);
    process.exitCode = 2;
    return;
  }
  for (const scenario of selected) await runScenario(scenario);
}

await main();
