import { parseArgs } from "node:util";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
  type BackendConfig,
} from "../app/backend-config.js";
import type { Logger } from "../shared/logger.js";

/** The default data directory, relative to where `hull` runs. */
export const DEFAULT_DATA_DIR = "./hull-data";

/** The environment variables Hull reads (the names self-hosted Convex uses). */
export interface HullEnvironment {
  readonly INSTANCE_NAME?: string | undefined;
  readonly INSTANCE_SECRET?: string | undefined;
  readonly CONVEX_CLOUD_ORIGIN?: string | undefined;
  readonly CONVEX_SITE_ORIGIN?: string | undefined;
}

/** Flags shared by the commands (`node:util` `parseArgs` options). */
export const FLAG_OPTIONS = {
  port: { type: "string" },
  "site-port": { type: "string" },
  host: { type: "string" },
  data: { type: "string" },
  "instance-name": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** Parsed flags; absent ones are undefined. */
export type Flags = ReturnType<typeof parseFlags>["values"];

/** Parses `argv` (without the command word). Throws `TypeError` on unknown flags. */
export function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: FLAG_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
}

/**
 * Builds the backend config from flags, then the environment, then defaults. Returns an error
 * message instead of a config when a value is unusable.
 */
export function toBackendConfig(
  flags: Flags,
  env: HullEnvironment,
  logger: Logger,
): BackendConfig | string {
  const port = parsePort(flags.port, DEFAULT_PORT, "--port");
  if (typeof port === "string") return port;
  const sitePort = parsePort(
    flags["site-port"],
    DEFAULT_SITE_PORT,
    "--site-port",
  );
  if (typeof sitePort === "string") return sitePort;
  if (port !== 0 && port === sitePort)
    return `--port and --site-port must differ (both are ${port}).`;
  return {
    dataDir: flags.data ?? DEFAULT_DATA_DIR,
    host: flags.host ?? DEFAULT_HOST,
    port,
    sitePort,
    instanceName: flags["instance-name"] ?? nonEmpty(env.INSTANCE_NAME),
    instanceSecret: nonEmpty(env.INSTANCE_SECRET),
    cloudOrigin: trimSlash(nonEmpty(env.CONVEX_CLOUD_ORIGIN)),
    siteOrigin: trimSlash(nonEmpty(env.CONVEX_SITE_ORIGIN)),
    logger,
  };
}

function parsePort(
  text: string | undefined,
  fallback: number,
  flag: string,
): number | string {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return `${flag} must be a port number between 0 and 65535, received "${text}".`;
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function trimSlash(origin: string | undefined): string | undefined {
  return origin?.replace(/\/+$/, "");
}
