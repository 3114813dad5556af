/**
 * The Swarm demo stack: a `hull serve` process with its embedded SQLite store, `examples/swarm`
 * deployed to it with the official CLI, its demo data loaded (`demo:seed`), and the dashboard
 * served by a Vite dev server on 127.0.0.1. Used by `npm start` and the screenshot script.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createServer, type ViteDevServer } from "vite";

const execFileAsync = promisify(execFile);

/** The repository root. */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../..",
);
const HULL_BIN = path.join(REPO_ROOT, "packages/backend/bin/hull.js");
const CONVEX_BIN = path.join(REPO_ROOT, "node_modules/convex/bin/main.js");
/** The Swarm example app (its `convex/` and its dashboard). */
export const SWARM_DIR = path.join(REPO_ROOT, "examples/swarm");
/** A closed local port: whatever the CLI would fetch beyond the deployment fails at once, offline. */
const NOWHERE = "http://127.0.0.1:9";
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface SwarmStackOptions {
  /** Hull's data directory (kept between runs). */
  readonly dataDir: string;
  readonly port: number;
  readonly sitePort: number;
  readonly dashboardPort: number;
  /** Progress lines ("Deploying examples/swarm ..."). */
  readonly log: (line: string) => void;
  /** Aborting it during startup stops whatever has started, and startup rejects. */
  readonly signal?: AbortSignal;
}

export interface SwarmStack {
  readonly hullUrl: string;
  readonly siteUrl: string;
  readonly dashboardUrl: string;
  readonly adminKey: string;
  /** Closes the dashboard server and stops Hull (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts everything; on failure stops whatever had started and rejects. */
export async function startSwarmStack(
  options: SwarmStackOptions,
): Promise<SwarmStack> {
  const hullUrl = `http://127.0.0.1:${options.port}`;
  options.log(`Starting Hull (data in ${options.dataDir}) ...`);
  const hull = spawnHull(options);
  let vite: ViteDevServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await vite?.close();
      await stopChild(hull.child);
    })();
    return stopping;
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  try {
    await waitForHull(hullUrl, hull);
    const adminKey = await issueAdminKey(options.dataDir);
    const convex = (args: readonly string[]) =>
      runConvex(args, hullUrl, adminKey, options.signal);
    options.log("Deploying examples/swarm with the official CLI ...");
    await convex(["deploy", "--yes", "--typecheck", "disable"]);
    options.log("Loading the demo data (demo:seed) ...");
    await convex(["run", "demo:seed"]);
    options.log("Starting the dashboard (Vite) ...");
    vite = await startDashboard(hullUrl, options.dashboardPort);
    options.signal?.throwIfAborted();
    return {
      hullUrl,
      siteUrl: `http://127.0.0.1:${options.sitePort}`,
      dashboardUrl: `http://127.0.0.1:${options.dashboardPort}/`,
      adminKey,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\nHull's output:\n${hull.output()}`, {
      cause: error,
    });
  }
}

interface HullChild {
  readonly child: ChildProcess;
  output(): string;
}

/**
 * Spawns `hull serve` in its own process group, so that a Ctrl-C in the terminal reaches only
 * this script, which then stops Hull with one SIGTERM (a second signal would make Hull skip its
 * clean shutdown).
 */
function spawnHull(options: SwarmStackOptions): HullChild {
  const child = spawn(
    process.execPath,
    [
      HULL_BIN,
      "serve",
      "--port",
      String(options.port),
      "--site-port",
      String(options.sitePort),
      "--data",
      options.dataDir,
    ],
    {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        HULL_LOG_LEVEL: process.env.HULL_LOG_LEVEL ?? "warn",
      },
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output };
}

async function waitForHull(url: string, hull: HullChild): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { exitCode, signalCode } = hull.child;
    if (exitCode !== null || signalCode !== null)
      throw new Error(`hull serve exited (${exitCode ?? signalCode})`);
    try {
      if ((await fetch(`${url}/version`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`hull serve did not answer ${url}/version in time`);
}

async function issueAdminKey(dataDir: string): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [HULL_BIN, "admin-key", "--data", dataDir],
    { cwd: REPO_ROOT },
  );
  const key = stdout.trim().split("\n").at(-1);
  if (key === undefined || !key.includes("|"))
    throw new Error(`hull admin-key printed: ${stdout}`);
  return key;
}

/** Runs `npx convex <args>` in examples/swarm against Hull; rejects with its output on failure. */
async function runConvex(
  args: readonly string[],
  url: string,
  adminKey: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [CONVEX_BIN, ...args],
      {
        cwd: SWARM_DIR,
        timeout: 120_000,
        ...(signal === undefined ? {} : { signal }),
        env: {
          ...process.env,
          CI: "1",
          NO_COLOR: "1",
          CONVEX_SELF_HOSTED_URL: url,
          CONVEX_SELF_HOSTED_ADMIN_KEY: adminKey,
          CONVEX_PROVISION_HOST: NOWHERE,
          CONVEX_VERSION_API_ORIGIN: NOWHERE,
        },
      },
    );
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `npx convex ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? String(error)}`,
      { cause: error },
    );
  }
}

async function startDashboard(
  convexUrl: string,
  port: number,
): Promise<ViteDevServer> {
  process.env.VITE_CONVEX_URL = convexUrl;
  const server = await createServer({
    root: SWARM_DIR,
    configFile: path.join(SWARM_DIR, "vite.config.ts"),
    logLevel: "warn",
    clearScreen: false,
    server: { host: "127.0.0.1", port, strictPort: true },
  });
  await server.listen();
  return server;
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
