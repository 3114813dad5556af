/**
 * Several processes serving one deployment (PostgreSQL): a deploy or an environment-variable
 * change goes through one process, which stores it in the database and activates it; the others
 * pick it up here, by polling the stored manifest and variables.
 */
import type { Logger } from "../shared/logger.js";
import type { AppManifest, ManifestStore } from "./deployment-manifest.js";
import type { EnvironmentVariables } from "./environment-variables.js";

/** Default poll interval: a deploy reaches every process within about a second. */
export const DEFAULT_DEPLOYMENT_POLL_MS = 1000;

/** The part of the runner the follower drives. */
export interface ActivatableRunner {
  readonly manifest: AppManifest | null;
  activate(manifest: AppManifest): Promise<void>;
}

export interface DeploymentFollowerOptions {
  readonly manifests: ManifestStore;
  readonly runner: ActivatableRunner;
  readonly environment: EnvironmentVariables;
  readonly logger: Logger;
  readonly intervalMs?: number | undefined;
}

/**
 * Starts following; the returned function stops it and waits for a poll in flight. A failed
 * poll is logged and retried at the next interval.
 */
export function followDeployment(
  options: DeploymentFollowerOptions,
): () => Promise<void> {
  const { manifests, runner, environment, logger } = options;
  let lastSeen = JSON.stringify(runner.manifest);
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  const poll = async (): Promise<void> => {
    await environment.reload();
    const stored = await manifests.load();
    const text = JSON.stringify(stored);
    if (text === lastSeen) return;
    lastSeen = text;
    if (stored === null || JSON.stringify(runner.manifest) === text) return;
    logger.info("activating a deploy made through another process", {
      modules: stored.modules.length,
    });
    await runner.activate(stored);
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    inFlight = poll()
      .catch((error: unknown) =>
        logger.warn("following the deployment failed", {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => (busy = false));
  }, options.intervalMs ?? DEFAULT_DEPLOYMENT_POLL_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inFlight;
  };
}
