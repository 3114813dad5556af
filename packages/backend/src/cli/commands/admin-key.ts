import { randomBytes } from "node:crypto";
import { issueAdminKey } from "../../auth/admin-key.js";
import { loadOrCreateCredentials } from "../../app/credentials.js";
import { isBackendError } from "../../errors/backend-error.js";
import type { CliContext } from "../cli-context.js";
import {
  DEFAULT_DATA_DIR,
  type Flags,
  type HullEnvironment,
} from "../serve-options.js";

/**
 * `hull admin-key [--data <dir>] [--instance-name <name>]`: prints a new admin key for the
 * deployment whose credentials are in the data directory (creating them on first use) as the
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
  try {
    const credentials = await loadOrCreateCredentials(dataDir, {
      instanceName: flags["instance-name"] ?? env.INSTANCE_NAME,
      instanceSecret: env.INSTANCE_SECRET,
    });
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
