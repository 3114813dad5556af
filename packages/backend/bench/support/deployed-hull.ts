/**
 * A `hull serve` process (in its own process, as in production) with one of the e2e fixture apps
 * deployed by the official CLI, for benchmarks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { runConvexCli } from "../../../e2e/src/convex-cli.js";
import { copyFixture } from "../../../e2e/src/fixture-app.js";
import { startHull, type HullProcess } from "../../../e2e/src/hull-process.js";

export interface DeployedHull extends AsyncDisposable {
  readonly hull: HullProcess;
  readonly url: string;
  /** The `hull serve` process. */
  readonly pid: number;
  /** The server process's resident set size in bytes (Linux `/proc`). */
  rssBytes(): number;
}

/** Starts Hull and deploys `fixture` (`packages/e2e/fixtures/<fixture>`) with `npx convex dev --once`. */
export async function startDeployedHull(
  fixture: string,
): Promise<DeployedHull> {
  const hull = await startHull();
  const app = await copyFixture(fixture);
  try {
    const push = await runConvexCli(
      ["dev", "--once", "--typecheck", "disable"],
      {
        cwd: app.dir,
        url: hull.url,
        adminKey: hull.adminKey,
        home: app.home,
      },
    );
    if (push.exitCode !== 0) throw new Error(`push failed:\n${push.stderr}`);
  } catch (error) {
    await app[Symbol.asyncDispose]();
    await hull.stop();
    throw error;
  }
  const pid = findPid(hull.dataDir);
  return {
    hull,
    url: hull.url,
    pid,
    rssBytes: () => rssOf(pid),
    [Symbol.asyncDispose]: async () => {
      await hull.stop();
      await app[Symbol.asyncDispose]();
    },
  };
}

/** The pid of the process whose command line names `dataDir` (the `hull serve` child). */
function findPid(dataDir: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(dataDir) && cmdline.includes("serve"))
        return Number(entry);
    } catch {
      // The process exited while we looked.
    }
  }
  throw new Error(`no hull serve process for ${dataDir}`);
}

/** Resident set size of `pid` in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
