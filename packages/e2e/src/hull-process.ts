import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePorts } from "./free-port.js";
import { HULL_BIN } from "./repo-paths.js";

const execFileAsync = promisify(execFile);

// Startup loads TypeScript through tsx and opens SQLite: a few seconds on a busy machine.
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running `hull serve` process on free ports with its own data directory. */
export interface HullProcess extends AsyncDisposable {
  readonly url: string;
  readonly siteUrl: string;
  readonly dataDir: string;
  readonly adminKey: string;
  /** The pid of the running process (undefined while stopped). */
  readonly pid: number | undefined;
  /** Kills the process with SIGKILL (a crash) and waits until it is gone; keeps the data. */
  kill9(): Promise<void>;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL) and starts a new one on the same ports and data. */
  restart(): Promise<void>;
  /** Stops the process; removes the data directory unless `keepData`. Safe to call twice. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Where the deployment lives; by default SQLite in the process's own data directory. */
export interface StartHullOptions {
  /** `--db`: a PostgreSQL URL shared by several processes. */
  readonly databaseUrl?: string | undefined;
  /** `INSTANCE_SECRET`, the same for every process of one deployment. */
  readonly instanceSecret?: string | undefined;
}

/**
 * Starts `hull serve` (the real bin, as `npx hull serve` runs it) on free ports with a fresh
 * temporary data directory, waits until `GET /version` answers, and fetches an admin key with
 * `hull admin-key`. Always stop it (`await using` does).
 */
export async function startHull(
  options: StartHullOptions = {},
): Promise<HullProcess> {
  const credentialEnv: Record<string, string> =
    options.instanceSecret === undefined
      ? {}
      : { INSTANCE_SECRET: options.instanceSecret };
  const dbFlags =
    options.databaseUrl === undefined ? [] : ["--db", options.databaseUrl];
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "hull-e2e-"));
  const [port, sitePort] = await freePorts(2);
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      process.execPath,
      [
        ...serveNodeArgs(),
        HULL_BIN,
        "serve",
        "--port",
        String(port),
        "--site-port",
        String(sitePort),
        "--data",
        dataDir,
        ...dbFlags,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, HULL_LOG_LEVEL: "warn", ...credentialEnv },
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitUntilReady(url, child, () => output);
  };
  const kill = async (): Promise<void> => {
    if (child !== undefined) await stopChild(child);
    child = undefined;
  };
  try {
    await launch();
    const adminKey = await issueAdminKey(dataDir, credentialEnv);
    let stopped = false;
    const stop = async (
      options: { keepData?: boolean } = {},
    ): Promise<void> => {
      await kill();
      if (!stopped && options.keepData !== true) {
        stopped = true;
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    };
    return {
      url,
      siteUrl: `http://127.0.0.1:${sitePort}`,
      dataDir,
      adminKey,
      get pid() {
        return child?.pid;
      },
      kill9: async () => {
        const running = child;
        child = undefined;
        if (running === undefined || running.pid === undefined) return;
        if (running.exitCode !== null || running.signalCode !== null) return;
        const exited = new Promise<void>((resolve) =>
          running.once("exit", () => resolve()),
        );
        process.kill(running.pid, "SIGKILL");
        await exited;
      },
      output: () => output,
      restart: async () => {
        await kill();
        await launch();
      },
      stop,
      [Symbol.asyncDispose]: () => stop(),
    };
  } catch (error) {
    await kill();
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Extra Node flags for the `hull serve` child from `HULL_SERVE_NODE_ARGS` (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server under a test or benchmark.
 */
function serveNodeArgs(): string[] {
  return (process.env["HULL_SERVE_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
}

/** Runs `hull admin-key --data <dir>` (with `env`, e.g. `INSTANCE_SECRET`) and returns the last line of its output. */
export async function issueAdminKey(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [HULL_BIN, "admin-key", "--data", dataDir],
    { env: { ...process.env, ...env } },
  );
  const key = stdout.trim().split("\n").at(-1);
  if (key === undefined || !key.includes("|"))
    throw new Error(`hull admin-key printed: ${stdout}`);
  return key;
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `hull serve exited (${child.exitCode ?? child.signalCode}):\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${url}/version`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(child);
  throw new Error(
    `hull serve did not answer GET /version within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`,
  );
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
