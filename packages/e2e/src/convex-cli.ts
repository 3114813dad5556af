import { spawn } from "node:child_process";
import { CONVEX_BIN } from "./repo-paths.js";

/** What one CLI run produced. */
export interface CliResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Pushes bundle with esbuild and talk to the backend several times: seconds, not minutes.
const CLI_TIMEOUT_MS = 60_000;
/** A closed local port: anything the CLI tries beyond the deployment fails at once, offline. */
const NOWHERE = "http://127.0.0.1:9";

/**
 * Runs the official CLI (`npx convex <args>`) in `cwd` against a self-hosted deployment, with
 * the environment the self-hosting docs prescribe (`CONVEX_SELF_HOSTED_URL`,
 * `CONVEX_SELF_HOSTED_ADMIN_KEY`). Telemetry and update checks are pointed at a closed local port
 * and `CI` is set, so the CLI never reaches beyond 127.0.0.1. Never rejects on a non-zero exit.
 */
export function runConvexCli(
  args: readonly string[],
  options: { cwd: string; url: string; adminKey: string; home: string },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.home,
    CI: "1",
    CONVEX_SELF_HOSTED_URL: options.url,
    CONVEX_SELF_HOSTED_ADMIN_KEY: options.adminKey,
    CONVEX_PROVISION_HOST: NOWHERE,
    CONVEX_VERSION_API_ORIGIN: NOWHERE,
    NO_COLOR: "1",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONVEX_BIN, ...args], {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}
