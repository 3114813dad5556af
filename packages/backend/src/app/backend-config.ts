import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";

/** Default ports, as in Convex's self-hosted image. */
export const DEFAULT_PORT = 3210;
export const DEFAULT_SITE_PORT = 3211;
/** Only this machine can connect unless the operator chooses otherwise. */
export const DEFAULT_HOST = "127.0.0.1";

/** Everything `createBackend` needs; the CLI builds it from flags and the environment. */
export interface BackendConfig {
  /** Holds the SQLite file, the module store, the credentials and stored files. */
  readonly dataDir: string;
  /**
   * A `postgres://` URL: keep the deployment in that PostgreSQL database instead of SQLite in
   * `dataDir` (the log, module sources, manifest, environment variables and, unless given, the
   * instance secret), so several processes can serve it together.
   */
  readonly databaseUrl?: string | undefined;
  readonly host: string;
  /** Client API, WebSocket and admin API; 0 picks a free port. */
  readonly port: number;
  /** HTTP actions; 0 picks a free port. */
  readonly sitePort: number;
  /** Overrides the stored instance name (default `hull`). */
  readonly instanceName?: string | undefined;
  /** Overrides the stored instance secret (64 hex chars). */
  readonly instanceSecret?: string | undefined;
  /** Public origin of the client API (default `http://<host>:<port>`). */
  readonly cloudOrigin?: string | undefined;
  /** Public origin of HTTP actions (default `http://<host>:<site port>`). */
  readonly siteOrigin?: string | undefined;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
}
