import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { runConvexCli, type CliResult } from "./convex-cli.js";
import { startHull, type HullProcess } from "./hull-process.js";
import { REPO_ROOT } from "./repo-paths.js";

/** The example apps under `examples/`. */
export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");

/** What never leaves an example's directory when it is copied: installs, builds, local env. */
const NOT_COPIED = new Set(["node_modules", "dist", ".env.local"]);

/** A running Hull with one example app deployed to it by the official CLI. */
export interface DeployedExample extends AsyncDisposable {
  readonly hull: HullProcess;
  /** The copy of the example the CLI ran in (it writes `.env.local` and `_generated/` there). */
  readonly dir: string;
  /** Runs `npx convex <args>` in the copy against this Hull. */
  cli(args: readonly string[]): Promise<CliResult>;
}

/**
 * Starts Hull, copies `examples/<name>` to a temp dir (with `node_modules` linked to the
 * repository's, where the workspaces install every example's packages), and deploys it with
 * `npx convex deploy --yes`, as the example's README says. `extraModules` (file name → source)
 * are added to the copy's `convex/` first, for test-only helpers. The repository's copy is never
 * written to. Dispose it to stop Hull and remove the copy.
 */
export async function deployExample(
  name: string,
  extraModules: Readonly<Record<string, string>> = {},
): Promise<DeployedExample> {
  const root = await fs.mkdtemp(
    path.join(os.tmpdir(), `hull-example-${name}-`),
  );
  const dir = path.join(root, "app");
  const home = path.join(root, "home");
  let hull: HullProcess | undefined;
  try {
    await fs.cp(path.join(EXAMPLES_DIR, name), dir, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(path.basename(source)),
    });
    for (const [file, source] of Object.entries(extraModules))
      await fs.writeFile(path.join(dir, "convex", file), source);
    await fs.mkdir(home);
    await fs.symlink(
      path.join(REPO_ROOT, "node_modules"),
      path.join(dir, "node_modules"),
      "dir",
    );
    const started = await startHull();
    hull = started;
    const cli = (args: readonly string[]): Promise<CliResult> =>
      runConvexCli(args, {
        cwd: dir,
        url: started.url,
        adminKey: started.adminKey,
        home,
      });
    const deployed = await cli(["deploy", "--yes", "--typecheck", "disable"]);
    expect(
      deployed.exitCode,
      `${deployed.stdout}\n${deployed.stderr}\n${started.output()}`,
    ).toBe(0);
    return {
      hull: started,
      dir,
      cli,
      [Symbol.asyncDispose]: async () => {
        await started.stop();
        await fs.rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await hull?.stop();
    await fs.rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Fails the test with the CLI's output unless it exited 0; returns its stdout. */
export function expectSuccess(result: CliResult): string {
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}
