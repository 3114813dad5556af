import { expect } from "vitest";
import { runConvexCli, type CliResult } from "./convex-cli.js";
import { copyFixture, type FixtureApp } from "./fixture-app.js";
import { startHull, type HullProcess } from "./hull-process.js";

/** A running Hull with a fixture app copied beside it, and the CLI pointed at the pair. */
export interface DeployedApp extends AsyncDisposable {
  readonly hull: HullProcess;
  readonly app: FixtureApp;
  /** Runs `npx convex <args>` in the app directory against this Hull. */
  cli(args: readonly string[]): Promise<CliResult>;
  /** `npx convex dev --once` (no typecheck); fails the test unless it succeeds. */
  push(): Promise<CliResult>;
}

/** Starts Hull, copies `fixture`, and deploys it with `npx convex dev --once`. */
export async function deployFixture(fixture: string): Promise<DeployedApp> {
  const hull = await startHull();
  let app: FixtureApp | undefined;
  try {
    app = await copyFixture(fixture);
    const fixtureApp = app;
    const cli = (args: readonly string[]): Promise<CliResult> =>
      runConvexCli(args, {
        cwd: fixtureApp.dir,
        url: hull.url,
        adminKey: hull.adminKey,
        home: fixtureApp.home,
      });
    const push = async (): Promise<CliResult> => {
      const result = await cli(["dev", "--once", "--typecheck", "disable"]);
      expect(
        result.exitCode,
        `${result.stdout}\n${result.stderr}\n${hull.output()}`,
      ).toBe(0);
      return result;
    };
    await push();
    return {
      hull,
      app: fixtureApp,
      cli,
      push,
      [Symbol.asyncDispose]: async () => {
        await hull.stop();
        await fixtureApp[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await hull.stop();
    await app?.[Symbol.asyncDispose]();
    throw error;
  }
}
