/**
 * `pg-mutation`: single-document insert mutations per second through `POST /api/mutation` of a
 * Hull serving from PostgreSQL (64 concurrent keep-alive connections), against raw single-row
 * insert transactions with `pg` at the same concurrency (64 connections), on the same throwaway
 * server in the same run, with `fsync=on` (production durability) for both sides alike. Also
 * logs the engine alone on the same server (64 concurrent insert transactions through
 * `Database.runInTransaction` on a `PostgresPersistence`, no HTTP and no function runner), which
 * separates the storage and commit path from the request path.
 */
import pg from "pg";
import { Database } from "../../src/engine/database.js";
import { createPostgresPersistence } from "../../src/storage/postgres/postgres-persistence.js";
import type { BenchScenario } from "../bench-scenario.js";
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

/** 64 loops, each inserting one row per transaction (autocommit) on its own connection. */
async function measureRawInserts(databaseUrl: string): Promise<number> {
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
    return await run(MEASURE_MS);
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
    const port = Number(new URL(deployment.processes[0]!.url).port);
    await measureThroughput(sendTarget(port), CONCURRENCY, WARMUP_MS);
    const hull = await measureThroughput(
      sendTarget(port),
      CONCURRENCY,
      MEASURE_MS,
    );
    log(`hull: ${hull.toFixed(0)} mutations/s`);
    const baseline = await measureRawInserts(deployment.databaseUrl);
    log(`baseline: ${baseline.toFixed(0)} inserts/s`);
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
