import { HULL_VERSION } from "../app/version.js";
import type { CliContext } from "./cli-context.js";
import {
  createNodeCliContext,
  createStderrLogger,
} from "./node-cli-context.js";
import {
  parseFlags,
  type Flags,
  type HullEnvironment,
} from "./serve-options.js";

const USAGE = `Usage: hull [command] [options]

Commands:
  serve        Run a deployment (the default)
  admin-key    Print an admin key for the deployment in --data or --db (last line of output)

Options:
  --port <n>              Client API, WebSocket and admin API port (default 3210)
  --site-port <n>         HTTP actions port (default 3211)
  --host <address>        Interface to listen on (default 127.0.0.1)
  --data <dir>            Data directory: database, modules, credentials (default ./hull-data)
  --instance-name <name>  Instance name, part of every admin key (default hull)
  --db <postgres-url>     Keep the deployment in PostgreSQL instead of SQLite in --data;
                          several processes given the same URL serve one deployment
  -h, --help              Show this help
  -v, --version           Show the version

Environment: INSTANCE_NAME, INSTANCE_SECRET (64 hex chars), CONVEX_CLOUD_ORIGIN,
CONVEX_SITE_ORIGIN (public URLs when behind a proxy), POSTGRES_URL or DATABASE_URL (as --db;
a URL without a database name uses the database named after the instance, - becoming _),
HULL_LOG_LEVEL (debug|info|warn|error).

Example:
  npx hull serve
  npx hull admin-key        # then set CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY`;

/**
 * Runs the `hull` command line. The only place that reads `process.env` and `process.argv`.
 *
 * @example
 * npx hull serve --data ./hull-data
 */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const level = env.HULL_LOG_LEVEL;
  const log = createStderrLogger(
    level === "debug" || level === "warn" || level === "error" ? level : "info",
  );
  const ctx = createNodeCliContext(log);
  let parsed;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return await ctx.crash({
      exitCode: 2,
      errorType: "invalid config",
      message: `${message}\n\n${USAGE}`,
    });
  }
  const { values: flags, positionals } = parsed;
  if (flags.help === true) return ctx.print(USAGE);
  if (flags.version === true) return ctx.print(HULL_VERSION);
  await runCommand(ctx, positionals, flags, env);
}

async function runCommand(
  ctx: CliContext,
  positionals: readonly string[],
  flags: Flags,
  env: HullEnvironment,
): Promise<void> {
  const [command = "serve", ...rest] = positionals;
  if (rest.length > 0) {
    return await ctx.crash({
      exitCode: 2,
      errorType: "invalid config",
      message: `Unexpected arguments: ${rest.join(" ")}\n\n${USAGE}`,
    });
  }
  // Commands load lazily: `--help` and `admin-key` need not load the engine and runtime.
  switch (command) {
    case "serve":
      return await (
        await import("./commands/serve.js")
      ).runServe(ctx, flags, env);
    case "admin-key":
      return await (
        await import("./commands/admin-key.js")
      ).runAdminKey(ctx, flags, env);
    default:
      return await ctx.crash({
        exitCode: 2,
        errorType: "invalid config",
        message: `Unknown command "${command}".\n\n${USAGE}`,
      });
  }
}
