/**
 * Where a deployment's state lives. By default: SQLite, module sources and credentials in the data
 * directory, one process. With a PostgreSQL URL: everything several processes must agree on is in
 * the database (the log, module sources, the deployment manifest, environment variables and, unless
 * given, the instance secret), so every `hull serve` pointed at it serves the same deployment.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import {
  generateInstanceSecret,
  type InstanceCredentials,
} from "../auth/admin-key.js";
import {
  FileModuleStore,
  hashModule,
  type ModuleContent,
  type ModuleStore,
} from "../runtime/module-store.js";
import type { Logger } from "../shared/logger.js";
import type { Persistence } from "../storage/persistence.js";
import { createPostgresPersistence } from "../storage/postgres/postgres-persistence.js";
import { SqlitePersistence } from "../storage/sqlite/sqlite-persistence.js";
import {
  checkedCredentials,
  DEFAULT_INSTANCE_NAME,
  loadOrCreateCredentials,
  type CredentialOptions,
} from "./credentials.js";

const DATABASE_FILE = "hull.sqlite3";
const MODULES_DIR = "modules";

/** Globals of a shared deployment. */
const INSTANCE_NAME_GLOBAL = "hull.app.instance_name";
const INSTANCE_SECRET_GLOBAL = "hull.app.instance_secret";
const MODULE_GLOBAL_PREFIX = "hull.module.";

/** A deployment's storage, opened by {@link openDeploymentStorage}. */
export interface DeploymentStorage {
  readonly persistence: Persistence;
  readonly moduleStore: ModuleStore;
  /** True when other processes may serve the same deployment (PostgreSQL). */
  readonly shared: boolean;
  /** The instance name and secret: given ones win, else stored ones, else new stored ones. */
  credentials(options: CredentialOptions): Promise<InstanceCredentials>;
  close(): Promise<void>;
}

/** What {@link openDeploymentStorage} needs. */
export interface DeploymentStorageOptions {
  readonly dataDir: string;
  /** A `postgres://` URL selects PostgreSQL; absent means SQLite in `dataDir`. */
  readonly databaseUrl?: string | undefined;
  readonly logger: Logger;
}

/** Opens SQLite in the data directory, or the PostgreSQL database at `databaseUrl`. */
export async function openDeploymentStorage(
  options: DeploymentStorageOptions,
): Promise<DeploymentStorage> {
  const { dataDir, databaseUrl, logger } = options;
  if (databaseUrl === undefined) {
    const persistence = SqlitePersistence.open({
      path: path.join(dataDir, DATABASE_FILE),
    });
    return {
      persistence,
      moduleStore: new FileModuleStore(path.join(dataDir, MODULES_DIR)),
      shared: false,
      credentials: (given) => loadOrCreateCredentials(dataDir, given),
      close: () => persistence.close(),
    };
  }
  const persistence = await createPostgresPersistence({
    url: databaseUrl,
    logger: logger.with({ component: "postgres" }),
  });
  return {
    persistence,
    moduleStore: new PersistenceModuleStore(persistence),
    shared: true,
    credentials: (given) => sharedCredentials(persistence, given),
    close: () => persistence.close(),
  };
}

/**
 * Credentials kept in the database, so every process accepts the same admin keys. Processes that
 * start for the first time at the same instant could each store a secret; give `INSTANCE_SECRET`
 * to every process to rule that out.
 */
async function sharedCredentials(
  persistence: Persistence,
  given: CredentialOptions,
): Promise<InstanceCredentials> {
  const reader = persistence.reader();
  const storedName = await reader.getGlobal(INSTANCE_NAME_GLOBAL);
  const storedSecret = await reader.getGlobal(INSTANCE_SECRET_GLOBAL);
  const credentials = checkedCredentials(
    given.instanceName ??
      (typeof storedName === "string" ? storedName : DEFAULT_INSTANCE_NAME),
    given.instanceSecret ??
      (typeof storedSecret === "string"
        ? storedSecret
        : generateInstanceSecret(given.randomBytes ?? ((n) => randomBytes(n)))),
  );
  if (credentials.instanceName !== storedName)
    await persistence.writeGlobal(
      INSTANCE_NAME_GLOBAL,
      credentials.instanceName,
    );
  if (given.instanceSecret === undefined && storedSecret === null)
    await persistence.writeGlobal(
      INSTANCE_SECRET_GLOBAL,
      credentials.instanceSecret,
    );
  return credentials;
}

/** Module sources as persistence globals (`hull.module.<sha256>`), shared by every process. */
export class PersistenceModuleStore implements ModuleStore {
  readonly #persistence: Persistence;

  constructor(persistence: Persistence) {
    this.#persistence = persistence;
  }

  async put(content: ModuleContent): Promise<string> {
    const sha256 = hashModule(content.source, content.sourceMap);
    const value =
      content.sourceMap === undefined
        ? { source: content.source }
        : { source: content.source, sourceMap: content.sourceMap };
    await this.#persistence.writeGlobal(MODULE_GLOBAL_PREFIX + sha256, value);
    return sha256;
  }

  async get(sha256: string): Promise<ModuleContent | null> {
    const stored = await this.#persistence
      .reader()
      .getGlobal(MODULE_GLOBAL_PREFIX + sha256);
    if (stored === null || typeof stored !== "object" || Array.isArray(stored))
      return null;
    const { source, sourceMap } = stored;
    if (typeof source !== "string") return null;
    return typeof sourceMap === "string" ? { source, sourceMap } : { source };
  }
}
