/**
 * Test-only: a throwaway PostgreSQL cluster started from the machine's binaries (STYLE.md §5.5).
 *
 * `initdb` into a temporary directory, a free port on 127.0.0.1, trust authentication, the unix
 * socket inside the temporary directory. PostgreSQL refuses to run as root, so when this process is
 * root the binaries run as the `postgres` user (through the `uid`/`gid` options of
 * `child_process.spawn`, which also drop root's supplementary groups).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import pg from "pg";

/** A running PostgreSQL server for tests; disposing it stops the server and deletes its files. */
export interface TestCluster extends AsyncDisposable {
  /** `postgres://` URL of the server's `postgres` database, as a superuser. */
  readonly url: string;
  /** True for a server given by `TEST_PG_URL`, which `stop()` leaves running. */
  readonly external: boolean;
  /** Stops the server (immediate shutdown) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Where Debian/Ubuntu install the server binaries when they are not on PATH. */
const FALLBACK_BIN_DIRS = [
  "/usr/lib/postgresql/15/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/17/bin",
];

/** A cold start (initdb included) takes 1–3 s on our 2-core machines; 60 s means it is broken. */
const STARTUP_TIMEOUT_MS = 60_000;

/** Immediate shutdown takes milliseconds; after this we SIGKILL the postmaster. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Server settings that make the throwaway cluster fast and frugal without changing what tests
 * can observe: small shared memory, no autovacuum, rare checkpoints, and `fsync=off`, which only
 * an operating-system crash could notice (a killed server loses nothing the kernel already has),
 * and which makes creating and dropping databases several times faster. `synchronous_commit`
 * keeps its default, so a commit is in the WAL before it is acknowledged and survives the server
 * being killed.
 */
const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: "127.0.0.1",
  shared_buffers: "32MB",
  max_connections: "200",
  max_wal_size: "1GB",
  autovacuum: "off",
  fsync: "off",
  log_min_messages: "fatal",
  timezone: "UTC",
};

/**
 * The server tests should use: `TEST_PG_URL` when set (the server is left alone afterwards),
 * otherwise a fresh throwaway cluster. Throws with an explanation when neither is possible.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const external = process.env["TEST_PG_URL"];
  if (external !== undefined && external !== "") {
    const stop = () => Promise.resolve();
    return { url: external, external: true, stop, [Symbol.asyncDispose]: stop };
  }
  return startThrowawayCluster();
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

async function startThrowawayCluster(): Promise<TestCluster> {
  const binDir = findBinDir();
  const runAs = findRunAs();
  const dir = await mkdtemp(join(tmpdir(), "hull-pg-"));
  let child: ChildProcess | undefined;
  try {
    if (runAs !== null) await chown(dir, runAs.uid, runAs.gid);
    const dataDir = join(dir, "data");
    await run(binDir, runAs, "initdb", [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    const port = await findFreePort();
    const settings = Object.entries({
      ...SERVER_SETTINGS,
      unix_socket_directories: dir,
    });
    const args = [
      "-D",
      dataDir,
      "-p",
      String(port),
      ...settings.flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ];
    const server = spawnServer(binDir, runAs, args);
    child = server;
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilReady(url, server);
    // If the test runner exits without tearing down (a crash, Ctrl-C), still leave nothing behind.
    const onExit = () => {
      server.kill("SIGQUIT");
      rmSync(dir, { recursive: true, force: true });
    };
    process.once("exit", onExit);
    const stop = once(async () => {
      process.removeListener("exit", onExit);
      await stopServer(server);
      await rm(dir, { recursive: true, force: true });
    });
    return { url, external: false, stop, [Symbol.asyncDispose]: stop };
  } catch (e) {
    if (child !== undefined) await stopServer(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The directory holding `initdb` and `postgres`: PATH first, then the Debian locations. */
function findBinDir(): string {
  const pathDirs = (process.env["PATH"] ?? "")
    .split(delimiter)
    .filter((d) => d !== "");
  for (const dir of [...pathDirs, ...FALLBACK_BIN_DIRS]) {
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres")))
      return dir;
  }
  throw new Error(
    "Cannot start a throwaway PostgreSQL for the pg tests: no `initdb`/`postgres` binaries on PATH " +
      `or in ${FALLBACK_BIN_DIRS.join(", ")}. Install PostgreSQL 15 or set TEST_PG_URL to a server ` +
      "where the test user may CREATE DATABASE.",
  );
}

/** Null when we are not root; otherwise the `postgres` user to run the server as. */
function findRunAs(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(
      execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim(),
    );
    const gid = Number(
      execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim(),
    );
    return { uid, gid };
  } catch (e) {
    throw new Error(
      "Cannot start a throwaway PostgreSQL for the pg tests: PostgreSQL refuses to run as root and " +
        "there is no `postgres` user to run it as. Create one or set TEST_PG_URL.",
      { cause: e },
    );
  }
}

/** Where util-linux keeps `setpriv`, which can tie the server's life to ours. */
const SETPRIV = "/usr/bin/setpriv";

/**
 * Starts the postmaster. Through `setpriv --pdeathsig` when available, so that the kernel sends it
 * SIGQUIT (immediate shutdown) even if this process dies without running any cleanup (SIGKILL);
 * `setpriv` execs the server, so the child's pid is the postmaster's.
 */
function spawnServer(
  binDir: string,
  runAs: RunAs | null,
  args: string[],
): ChildProcess {
  if (!existsSync(SETPRIV)) return spawnAs(binDir, runAs, "postgres", args);
  return spawnAs(binDir, runAs, SETPRIV, [
    "--pdeathsig",
    "QUIT",
    "--",
    join(binDir, "postgres"),
    ...args,
  ]);
}

function spawnAs(
  binDir: string,
  runAs: RunAs | null,
  command: string,
  args: string[],
): ChildProcess {
  return spawn(resolve(binDir, command), args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: `${binDir}${delimiter}${process.env["PATH"] ?? ""}`,
      LC_ALL: "C",
    },
    cwd: tmpdir(),
    ...(runAs === null ? {} : { uid: runAs.uid, gid: runAs.gid }),
  });
}

/** Runs a binary to completion; rejects with its output when it fails. */
function run(
  binDir: string,
  runAs: RunAs | null,
  command: string,
  args: string[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(binDir, runAs, command, args);
    const output = collectOutput(child);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} failed (${signal ?? `exit ${code}`}):\n${output()}`,
          ),
        );
    });
  });
}

function collectOutput(child: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object")
          resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}

/** Polls until the server accepts connections; fails early when the server process exits. */
async function waitUntilReady(
  url: string,
  server: ChildProcess,
): Promise<void> {
  const output = collectOutput(server);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const exited = server.signalCode ?? server.exitCode;
    if (exited !== null) {
      throw new Error(
        `postgres stopped during startup (${exited}):\n${output()}`,
      );
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(
          `postgres did not accept connections within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`,
          { cause: e },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Immediate shutdown (SIGQUIT to the postmaster, like `pg_ctl stop -m immediate`). */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    server.once("exit", () => resolve()),
  );
  server.kill("SIGQUIT");
  const timer = setTimeout(() => server.kill("SIGKILL"), SHUTDOWN_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function once(f: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= f());
}

/** Drops every database on the server at `url` whose name starts with `prefix`. */
export async function dropDatabases(
  url: string,
  prefix: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(
        `DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`,
      );
    }
  } finally {
    await client.end();
  }
}
