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
const ROUNDS = 10;
const ROUND_MS = 400;

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

/** Raw reads: the storage layer's snapshot SELECT on the same file, plus JSON.parse. */
function createBaseline(
  path: string,
  tableId: string,
  order: readonly string[],
) {
  const db = new Sqlite(path, { readonly: true });
  const select = db.prepare(
    "SELECT ts, prev_ts, json_value FROM documents WHERE table_id = ? AND id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
  );
  select.safeIntegers(true);
  const readTs = 1n << 62n;
  let i = 0;
  return {
    round(ms: number): number {
      return (
        ratePerSecond(ms, () => {
          const row = select.get(tableId, order[i++ & 0xffff], readTs) as {
            json_value: string;
          };
          JSON.parse(row.json_value);
          return 1;
        }) *
        (ms / 1000)
      );
    },
    close: () => db.close(),
  };
}

/** Engine reads: `get` by id, READS_PER_TRANSACTION per transaction. */
function createHull(database: Database, order: readonly string[]) {
  let i = 0;
  return async (ms: number): Promise<number> => {
    let reads = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      const tx = database.begin();
      for (let r = 0; r < READS_PER_TRANSACTION; r++) {
        const doc = await tx.get(order[i++ & 0xffff]!);
        if (doc === null) throw new Error("missing document");
        reads += 1;
      }
      tx.close();
    }
    return reads;
  };
}

/**
 * Alternates short rounds of both sides, so load from other processes on a shared machine
 * affects both alike; returns reads/s of each.
 */
async function measure(
  path: string,
  order: readonly string[],
): Promise<{ hull: number; baseline: number }> {
  const baseline = createBaseline(path, "10001", order);
  const persistence = SqlitePersistence.open({ path });
  const database = await Database.open({ persistence });
  const hullRound = createHull(database, order);
  let baselineReads = 0;
  let hullReads = 0;
  for (let round = 0; round < ROUNDS; round++) {
    baselineReads += baseline.round(ROUND_MS);
    hullReads += await hullRound(ROUND_MS);
  }
  baseline.close();
  await database.close();
  await persistence.close();
  const seconds = (ROUNDS * ROUND_MS) / 1000;
  return { hull: hullReads / seconds, baseline: baselineReads / seconds };
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
      const { hull, baseline } = await measure(path, order);
      log(
        `baseline: ${baseline.toFixed(0)} reads/s; hull: ${hull.toFixed(0)} reads/s`,
      );
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
