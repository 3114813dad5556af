import { parseArgs } from "node:util";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
  type BackendConfig,
} from "../app/backend-config.js";
import { DEFAULT_INSTANCE_NAME } from "../app/credentials.js";
import type { Logger } from "../shared/logger.js";

/** The default data directory, relative to where `hull` runs. */
export const DEFAULT_DATA_DIR = "./hull-data";

/** The environment variables Hull reads (the names self-hosted Convex uses). */
export interface HullEnvironment {
  readonly INSTANCE_NAME?: string | undefined;
  readonly INSTANCE_SECRET?: string | undefined;
  readonly CONVEX_CLOUD_ORIGIN?: string | undefined;
  readonly CONVEX_SITE_ORIGIN?: string | undefined;
  /** PostgreSQL server URL; without a database name the database is named after the instance. */
  readonly POSTGRES_URL?: string | undefined;
  readonly DATABASE_URL?: string | undefined;
}

/** Flags shared by the commands (`node:util` `parseArgs` options). */
export const FLAG_OPTIONS = {
  port: { type: "string" },
  "site-port": { type: "string" },
  host: { type: "string" },
  data: { type: "string" },
  db: { type: "string" },
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
  const instanceName = flags["instance-name"] ?? nonEmpty(env.INSTANCE_NAME);
  const databaseUrl = resolveDatabaseUrl(
    flags.db ?? nonEmpty(env.POSTGRES_URL) ?? nonEmpty(env.DATABASE_URL),
    instanceName,
  );
  if (databaseUrl !== undefined && !databaseUrl.ok) return databaseUrl.message;
  return {
    dataDir: flags.data ?? DEFAULT_DATA_DIR,
    databaseUrl: databaseUrl?.url,
    host: flags.host ?? DEFAULT_HOST,
    port,
    sitePort,
    instanceName,
    instanceSecret: nonEmpty(env.INSTANCE_SECRET),
    cloudOrigin: trimSlash(nonEmpty(env.CONVEX_CLOUD_ORIGIN)),
    siteOrigin: trimSlash(nonEmpty(env.CONVEX_SITE_ORIGIN)),
    logger,
  };
}

/**
 * The PostgreSQL URL to use. A URL naming a database is used as is; a server URL without one
 * (self-hosted Convex's `POSTGRES_URL` convention) gets the database named after the instance,
 * with `-` replaced by `_` (`hull` by default): `postgres://u:p@host:5432` → `…/hull`.
 */
export function resolveDatabaseUrl(
  text: string | undefined,
  instanceName: string | undefined,
): { ok: true; url: string } | { ok: false; message: string } | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `The database URL is not a URL: "${text}".` };
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return {
      ok: false,
      message: `Only PostgreSQL URLs (postgres://…) are supported, received "${url.protocol}//…".`,
    };
  }
  if (url.pathname === "" || url.pathname === "/") {
    url.pathname = `/${(instanceName ?? DEFAULT_INSTANCE_NAME).replaceAll("-", "_")}`;
  }
  return { ok: true, url: url.toString() };
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
