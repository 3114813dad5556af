/**
 * Benchmark support for issue 6: a throwaway PostgreSQL cluster (the test helper's) with a fresh
 * database, and Hull processes serving the `basic` fixture app from it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { runConvexCli } from "../../../e2e/src/convex-cli.js";
import { copyFixture, type FixtureApp } from "../../../e2e/src/fixture-app.js";
import { startHull, type HullProcess } from "../../../e2e/src/hull-process.js";
import { startTestCluster } from "../../src/storage/postgres/test-cluster.js";

/** A throwaway cluster, one database in it, and `count` Hull processes serving one app from it. */
export interface PgDeployment extends AsyncDisposable {
  /** URL of the deployment's database (for raw baselines on the same server). */
  readonly databaseUrl: string;
  readonly processes: readonly HullProcess[];
}

/**
 * Starts the cluster and `count` processes, and deploys the `basic` fixture through the first.
 * The test helper's cluster runs with `fsync=off`; it is switched back on here (a reload), so
 * commits cost what they cost on a production server.
 */
export async function startPgDeployment(count: number): Promise<PgDeployment> {
  const cluster = await startTestCluster();
  const processes: HullProcess[] = [];
  let app: FixtureApp | undefined;
  const stop = async (): Promise<void> => {
    for (const p of processes) await p.stop();
    await app?.[Symbol.asyncDispose]();
    await cluster.stop();
  };
  try {
    const name = `hull_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`ALTER SYSTEM SET fsync = on`);
    await admin.query(`SELECT pg_reload_conf()`);
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    const instanceSecret = randomBytes(32).toString("hex");
    for (let i = 0; i < count; i++)
      processes.push(await startHull({ databaseUrl, instanceSecret }));
    app = await copyFixture("basic");
    const first = processes[0]!;
    const push = await runConvexCli(
      ["dev", "--once", "--typecheck", "disable"],
      {
        cwd: app.dir,
        url: first.url,
        adminKey: first.adminKey,
        home: app.home,
      },
    );
    if (push.exitCode !== 0) throw new Error(`push failed:\n${push.stderr}`);
    return { databaseUrl, processes, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
