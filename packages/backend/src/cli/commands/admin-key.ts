import { randomBytes } from "node:crypto";
import { issueAdminKey } from "../../auth/admin-key.js";
import { loadOrCreateCredentials } from "../../app/credentials.js";
import { openDeploymentStorage } from "../../app/deployment-storage.js";
import type { InstanceCredentials } from "../../auth/admin-key.js";
import { silentLogger } from "../../shared/logger.js";
import { isBackendError } from "../../errors/backend-error.js";
import type { CliContext } from "../cli-context.js";
import {
  DEFAULT_DATA_DIR,
  type Flags,
  resolveDatabaseUrl,
  type HullEnvironment,
} from "../serve-options.js";

/**
 * `hull admin-key [--data <dir>] [--db <postgres-url>] [--instance-name <name>]`: prints a new
 * admin key for the deployment whose credentials are in the data directory, or in the PostgreSQL
 * database given by `--db` / `POSTGRES_URL` / `DATABASE_URL` (creating them on first use), as the
 * last line of stdout.
 *
 * @example
 * npx hull admin-key --data ./hull-data
 * # hull|01a3…
 */
export async function runAdminKey(
  ctx: CliContext,
  flags: Flags,
  env: HullEnvironment,
): Promise<void> {
  const dataDir = flags.data ?? DEFAULT_DATA_DIR;
  const given = {
    instanceName: flags["instance-name"] ?? env.INSTANCE_NAME,
    instanceSecret: env.INSTANCE_SECRET,
  };
  const databaseUrl = resolveDatabaseUrl(
    flags.db ?? env.POSTGRES_URL ?? env.DATABASE_URL,
    given.instanceName,
  );
  if (databaseUrl !== undefined && !databaseUrl.ok) {
    return await ctx.crash({
      exitCode: 1,
      errorType: "invalid config",
      message: databaseUrl.message,
    });
  }
  try {
    const credentials: InstanceCredentials =
      databaseUrl === undefined
        ? await loadOrCreateCredentials(dataDir, given)
        : await sharedCredentials(dataDir, databaseUrl.url, given);
    ctx.print(issueAdminKey(credentials, { nowMs: Date.now(), randomBytes }));
  } catch (error) {
    if (isBackendError(error)) {
      return await ctx.crash({
        exitCode: 1,
        errorType: "invalid config",
        message: error.message,
      });
    }
    return await ctx.crash({
      exitCode: 1,
      errorType: "invalid data",
      message: `Could not read or create the credentials in ${dataDir}: ${String(error)}`,
      cause: error,
    });
  }
}

/** The credentials a PostgreSQL deployment keeps in its database (see `deployment-storage.ts`). */
async function sharedCredentials(
  dataDir: string,
  databaseUrl: string,
  given: {
    instanceName: string | undefined;
    instanceSecret: string | undefined;
  },
): Promise<InstanceCredentials> {
  const storage = await openDeploymentStorage({
    dataDir,
    databaseUrl,
    logger: silentLogger,
  });
  try {
    return await storage.credentials(given);
  } finally {
    await storage.close();
  }
}
