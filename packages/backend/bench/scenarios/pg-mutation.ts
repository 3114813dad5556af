/**
 * `pg-mutation`: single-document insert mutations per second through `POST /api/mutation` of a
 * Hull serving from PostgreSQL (64 concurrent keep-alive connections), against raw single-row
 * insert transactions with `pg` at the same concurrency (64 connections), on the same throwaway
 * server in the same run, with `fsync=on` (production durability) for both sides alike. Also
 * logs the engine alone on the same server (64 concurrent insert transactions through
 * `Database.runInTransaction` on a `PostgresPersistence`, no HTTP and no function runner), which
 * separates the storage and commit path from the request path.
 *
 * Hull, PostgreSQL and the load share the machine, so each side also logs its CPU time per
 * operation (Linux `/proc`): cores divided by the sum bounds what any run here can reach.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Database } from "../../src/engine/database.js";
import { createPostgresPersistence } from "../../src/storage/postgres/postgres-persistence.js";
import type { BenchScenario } from "../bench-scenario.js";
import { cpuMsOf, ownCpuMs, serverCpuMs } from "../support/cpu-time.js";
import { measureThroughput, type LoadTarget } from "../support/http-load.js";
import { startPgDeployment } from "../support/pg-deployment.js";

const CONCURRENCY = 64;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;

function sendTarget(port: number): LoadTarget {
  return {
    port,
    path: "/api/mutation",
    body: (i) => ({
      path: "messages:send",
      format: "convex_encoded_json",
      args: [
        {
          author: `author-${i % 100}`,
          body: `message number ${i} with a little text`,
        },
      ],
    }),
  };
}

/** CPU time so far of everything measured, in ms: Hull, the PostgreSQL server, this process. */
interface CpuSnapshot {
  readonly hull: number;
  readonly hullMainThread: number;
  readonly postgres: number;
  readonly load: number;
}

function cpuSnapshot(
  hullPid: number,
  postmasterPid: number | null,
): CpuSnapshot {
  const hull = cpuMsOf(hullPid);
  return {
    hull: hull.total,
    hullMainThread: hull.mainThread,
    postgres: postmasterPid === null ? NaN : serverCpuMs(postmasterPid),
    load: ownCpuMs(),
  };
}

/** CPU µs per operation of each part between two snapshots. */
function cpuPerOperation(
  before: CpuSnapshot,
  after: CpuSnapshot,
  operations: number,
): CpuSnapshot {
  const us = (key: keyof CpuSnapshot): number =>
    ((after[key] - before[key]) * 1000) / operations;
  return {
    hull: us("hull"),
    hullMainThread: us("hullMainThread"),
    postgres: us("postgres"),
    load: us("load"),
  };
}

/**
 * The pid of the server behind `databaseUrl`, from its data directory's `postmaster.pid`; null
 * when that is not readable from here (a `TEST_PG_URL` server on another machine).
 */
async function postmasterPid(databaseUrl: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ dir: string }>(
      "SELECT current_setting('data_directory') AS dir",
    );
    const file = readFileSync(join(rows[0]!.dir, "postmaster.pid"), "utf8");
    return Number(file.split("\n")[0]);
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

/** 64 loops, each inserting one row per transaction (autocommit) on its own connection. */
async function measureRawInserts(
  databaseUrl: string,
  postmaster: number | null,
  log: (line: string) => void,
): Promise<number> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: CONCURRENCY,
  });
  try {
    await pool.query(
      `CREATE TABLE raw_messages (id BIGSERIAL PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)`,
    );
    await pool.query(`CREATE INDEX raw_by_author ON raw_messages (author)`);
    const run = async (durationMs: number): Promise<number> => {
      let done = 0;
      const start = performance.now();
      const loop = async (n: number): Promise<void> => {
        let i = n;
        while (performance.now() - start < durationMs) {
          await pool.query({
            name: "raw_insert",
            text: "INSERT INTO raw_messages (author, body) VALUES ($1, $2)",
            values: [
              `author-${i % 100}`,
              `message number ${i} with a little text`,
            ],
          });
          i += CONCURRENCY;
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => loop(n)));
      return (done * 1000) / (performance.now() - start);
    };
    await run(WARMUP_MS);
    const before = cpuSnapshot(process.pid, postmaster);
    const rate = await run(MEASURE_MS);
    const cpu = cpuPerOperation(
      before,
      cpuSnapshot(process.pid, postmaster),
      (rate * MEASURE_MS) / 1000,
    );
    log(
      `baseline: ${rate.toFixed(0)} inserts/s; CPU per insert: PostgreSQL ${cpu.postgres.toFixed(0)} µs, client ${cpu.load.toFixed(0)} µs`,
    );
    return rate;
  } finally {
    await pool.end();
  }
}

/** The engine alone: 64 concurrent single-insert transactions for `MEASURE_MS`. */
async function measureEngine(databaseUrl: string): Promise<number> {
  const url = new URL(databaseUrl);
  url.pathname = `${url.pathname}_engine`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${url.pathname.slice(1)}`);
  await admin.end();
  const persistence = await createPostgresPersistence({ url: url.toString() });
  const database = await Database.open({ persistence });
  try {
    const run = async (durationMs: number): Promise<number> => {
      let done = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, n) => {
          while (performance.now() - start < durationMs) {
            await database.runInTransaction((tx) =>
              tx.insert("messages", { author: `author-${n}`, body: "text" }),
            );
            done += 1;
          }
        }),
      );
      return (done * 1000) / (performance.now() - start);
    };
    await run(WARMUP_MS);
    return await run(MEASURE_MS);
  } finally {
    await database.close();
    await persistence.close();
  }
}

export const scenario: BenchScenario = {
  name: "pg-mutation",
  description:
    "insert mutations/s through Hull on PostgreSQL (64 keep-alive connections) vs raw single-row insert transactions with pg (64 connections), same server, same run",
  async run(log) {
    await using deployment = await startPgDeployment(1);
    const hullProcess = deployment.processes[0]!;
    const port = Number(new URL(hullProcess.url).port);
    const postmaster = await postmasterPid(deployment.databaseUrl);
    await measureThroughput(sendTarget(port), CONCURRENCY, WARMUP_MS);
    const before = cpuSnapshot(hullProcess.pid!, postmaster);
    const hull = await measureThroughput(
      sendTarget(port),
      CONCURRENCY,
      MEASURE_MS,
    );
    const cpu = cpuPerOperation(
      before,
      cpuSnapshot(hullProcess.pid!, postmaster),
      (hull * MEASURE_MS) / 1000,
    );
    log(
      `hull: ${hull.toFixed(0)} mutations/s; CPU per mutation: Hull ${cpu.hull.toFixed(0)} µs (main thread ${cpu.hullMainThread.toFixed(0)} µs), PostgreSQL ${cpu.postgres.toFixed(0)} µs, load ${cpu.load.toFixed(0)} µs`,
    );
    const baseline = await measureRawInserts(
      deployment.databaseUrl,
      postmaster,
      log,
    );
    const half = baseline / 2;
    const cores = ((cpu.hull + cpu.postgres + cpu.load) * half) / 1e6;
    log(
      `ratio 0.5 is ${half.toFixed(0)} mutations/s: at these CPU costs, ${cores.toFixed(1)} cores of the ${availableParallelism()} here`,
    );
    const engine = await measureEngine(deployment.databaseUrl);
    log(
      `engine alone on the same server: ${engine.toFixed(0)} commits/s (ratio ${(engine / baseline).toFixed(2)})`,
    );
    return {
      unit: "mutations/s",
      hull: Math.round(hull),
      baseline: Math.round(baseline),
      baselineName: "raw pg single-row insert transactions",
      better: "higher",
    };
  },
};
