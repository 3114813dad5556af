/**
 * `engine-read`: indexed point reads/s (`get` by id: a `by_id` lookup at a snapshot) through
 * engine transactions on SQLite, against raw prepared SELECTs of the same rows (the same
 * snapshot query the storage layer issues, plus JSON.parse) in the same run.
 */
import Sqlite from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../src/engine/database.js";
import { SqlitePersistence } from "../../src/storage/sqlite/sqlite-persistence.js";
import { ratePerSecond, type BenchScenario } from "../bench-scenario.js";

const DOCUMENTS = 5000;
const READS_PER_TRANSACTION = 10;
const MEASURE_MS = 4000;

async function load(path: string): Promise<string[]> {
  const persistence = SqlitePersistence.open({ path });
  const database = await Database.open({ persistence });
  const ids: string[] = [];
  for (let batch = 0; batch < DOCUMENTS / 500; batch++) {
    const { value } = await database.runInTransaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 500; i++) {
        out.push(
          await tx.insert("users", {
            name: `user ${batch * 500 + i}`,
            score: i,
            tags: ["a", "b"],
          }),
        );
      }
      return out;
    });
    ids.push(...value);
  }
  await database.close();
  await persistence.close();
  return ids;
}

/** Random ids, drawn once so both sides read the same sequence. */
function sequence(ids: readonly string[]): string[] {
  let seed = 12345;
  return Array.from({ length: 1 << 16 }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return ids[seed % ids.length]!;
  });
}

function measureBaseline(
  path: string,
  tableId: string,
  order: readonly string[],
): number {
  const db = new Sqlite(path, { readonly: true });
  const select = db.prepare(
    "SELECT ts, prev_ts, json_value FROM documents WHERE table_id = ? AND id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
  );
  select.safeIntegers(true);
  const readTs = 1n << 62n;
  let i = 0;
  const rate = ratePerSecond(MEASURE_MS, () => {
    const row = select.get(tableId, order[i++ & 0xffff], readTs) as {
      json_value: string;
    };
    JSON.parse(row.json_value);
    return 1;
  });
  db.close();
  return rate;
}

async function measureHull(
  path: string,
  order: readonly string[],
): Promise<number> {
  const persistence = SqlitePersistence.open({ path });
  const database = await Database.open({ persistence });
  let i = 0;
  let reads = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    const tx = database.begin();
    for (let r = 0; r < READS_PER_TRANSACTION; r++) {
      const doc = await tx.get(order[i++ & 0xffff]!);
      if (doc === null) throw new Error("missing document");
      reads += 1;
    }
    tx.close();
  }
  const rate = (reads * 1000) / (performance.now() - start);
  await database.close();
  await persistence.close();
  return rate;
}

export const scenario: BenchScenario = {
  name: "engine-read",
  description: `point reads by id through engine transactions (${READS_PER_TRANSACTION} per transaction) vs raw prepared SELECTs, ${DOCUMENTS} documents on SQLite`,
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), "hull-bench-read-"));
    try {
      const path = join(dir, "hull.sqlite3");
      const ids = await load(path);
      const order = sequence(ids);
      const baseline = measureBaseline(path, "10001", order);
      log(`baseline: ${baseline.toFixed(0)} reads/s`);
      const hull = await measureHull(path, order);
      log(`hull: ${hull.toFixed(0)} reads/s`);
      return {
        unit: "reads/s",
        hull: Math.round(hull),
        baseline: Math.round(baseline),
        baselineName: "better-sqlite3 prepared SELECT + JSON.parse",
        better: "higher",
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
