/**
 * `engine-commit`: commits/s of single-document insert transactions from 64 concurrent writers
 * through the engine on SQLite (WAL, synchronous=FULL), against the per-commit ceiling of the
 * same insert done directly with better-sqlite3, one transaction (one fsync) per row.
 */
import Sqlite from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../src/engine/database.js";
import { SqlitePersistence } from "../../src/storage/sqlite/sqlite-persistence.js";
import { ratePerSecond, type BenchScenario } from "../bench-scenario.js";

const WRITERS = 64;
const BASELINE_MS = 4000;
const HULL_MS = 6000;

function documentBody(n: number): { n: number; body: string; tag: string } {
  return {
    n,
    body: `message number ${n} with a little text`,
    tag: n % 2 === 0 ? "even" : "odd",
  };
}

/** One autocommit INSERT per row: each is its own transaction and its own fsync. */
function measureBaseline(dir: string): number {
  const db = new Sqlite(join(dir, "raw.sqlite3"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(
    "CREATE TABLE docs (id TEXT PRIMARY KEY, ts INTEGER NOT NULL, json TEXT NOT NULL)",
  );
  const insert = db.prepare("INSERT INTO docs (id, ts, json) VALUES (?, ?, ?)");
  let n = 0;
  const rate = ratePerSecond(BASELINE_MS, () => {
    n += 1;
    insert.run(`doc-${n}`, n, JSON.stringify(documentBody(n)));
    return 1;
  });
  db.close();
  return rate;
}

async function measureHull(
  dir: string,
): Promise<{ rate: number; groups: number; commits: number }> {
  const persistence = SqlitePersistence.open({
    path: join(dir, "hull.sqlite3"),
  });
  const database = await Database.open({ persistence });
  await database.runInTransaction((tx) =>
    tx.insert("messages", documentBody(0)),
  );
  const before = database.committerStats();
  const deadline = performance.now() + HULL_MS;
  let commits = 0;
  const start = performance.now();
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      await database.runInTransaction((tx) =>
        tx.insert("messages", documentBody(w * 1e6 + i)),
      );
      commits += 1;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const elapsed = performance.now() - start;
  const after = database.committerStats();
  await database.close();
  await persistence.close();
  return {
    rate: (commits * 1000) / elapsed,
    groups: after.groups - before.groups,
    commits: after.commits - before.commits,
  };
}

export const scenario: BenchScenario = {
  name: "engine-commit",
  description: `${WRITERS} concurrent single-insert transactions through the engine on SQLite (WAL, FULL) vs one better-sqlite3 transaction per row`,
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), "hull-bench-commit-"));
    try {
      const baseline = measureBaseline(dir);
      log(`baseline: ${baseline.toFixed(0)} commits/s (one fsync per row)`);
      const hull = await measureHull(dir);
      log(
        `hull: ${hull.rate.toFixed(0)} commits/s, ${hull.commits} commits in ${hull.groups} storage writes (${(hull.commits / hull.groups).toFixed(1)} per group)`,
      );
      return {
        unit: "commits/s",
        hull: Math.round(hull.rate),
        baseline: Math.round(baseline),
        baselineName:
          "better-sqlite3 one transaction per row (WAL, synchronous=FULL)",
        better: "higher",
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
