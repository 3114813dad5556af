import { Backend, type BackendAddresses } from "../../app/backend.js";
import { isBackendError } from "../../errors/backend-error.js";
import type { CliContext } from "../cli-context.js";
import {
  toBackendConfig,
  type Flags,
  type HullEnvironment,
} from "../serve-options.js";

/**
 * `hull serve` (also plain `hull`): runs a deployment until SIGINT or SIGTERM, then shuts down
 * cleanly (servers drained, workers stopped, database closed).
 *
 * @example
 * npx hull serve --port 3210 --site-port 3211 --data ./hull-data
 */
export async function runServe(
  ctx: CliContext,
  flags: Flags,
  env: HullEnvironment,
): Promise<void> {
  const config = toBackendConfig(flags, env, ctx.log);
  if (typeof config === "string") {
    return await ctx.crash({
      exitCode: 1,
      errorType: "invalid config",
      message: config,
    });
  }
  const backend = new Backend(config);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130);
    ctx.log.info(`received ${signal}, shutting down`);
    void backend.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const addresses = await backend.start();
    printBanner(ctx, addresses, config.dataDir);
  } catch (error) {
    const message = isBackendError(error)
      ? error.message
      : `Hull failed to start: ${String(error)}`;
    const errorType = isBackendError(error) ? "invalid config" : "fatal";
    return await ctx.crash({ exitCode: 1, errorType, message, cause: error });
  }
  await backend.run();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  ctx.log.info("stopped");
}

function printBanner(
  ctx: CliContext,
  addresses: BackendAddresses,
  dataDir: string,
): void {
  ctx.print(
    `Hull is running (instance "${addresses.instanceName}", data in ${dataDir}).`,
  );
  ctx.print(`  Client API and WebSocket: ${addresses.cloudOrigin}`);
  ctx.print(`  HTTP actions:             ${addresses.siteOrigin}`);
  ctx.print(`Get an admin key with:  npx hull admin-key --data ${dataDir}`);
  ctx.print(
    `Then put these in your app's .env.local and run \`npx convex dev\`:`,
  );
  ctx.print(`  CONVEX_SELF_HOSTED_URL=${addresses.cloudOrigin}`);
  ctx.print(`  CONVEX_SELF_HOSTED_ADMIN_KEY=<the admin key>`);
}
