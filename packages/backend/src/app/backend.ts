import { mkdir } from "node:fs/promises";
import path from "node:path";
import { checkAdminKey, type InstanceCredentials } from "../auth/admin-key.js";
import { Database } from "../engine/database.js";
import { BackendError } from "../errors/backend-error.js";
import {
  createHttpApp,
  createSiteApp,
  type FetchHandler,
} from "../http/http-app.js";
import { NodeHttpServer } from "../http/node-server.js";
import { MAX_PUSH_BODY_BYTES } from "../http/request-body.js";
import { errorResponse } from "../http/responses.js";
import { analyzeModules } from "../runtime/analysis.js";
import { FunctionRunner } from "../runtime/function-runner.js";
import { FileModuleStore } from "../runtime/module-store.js";
import { systemClock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import { SqlitePersistence } from "../storage/sqlite/sqlite-persistence.js";
import type { BackendConfig } from "./backend-config.js";
import { loadOrCreateCredentials } from "./credentials.js";
import { ManifestStore, type AppManifest } from "./deployment-manifest.js";
import { PushService } from "./push-service.js";
import type { Service } from "./service.js";
import { HULL_VERSION } from "./version.js";

/** Where things live inside the data directory. */
const DATABASE_FILE = "hull.sqlite3";
const MODULES_DIR = "modules";
const MODULE_CACHE_DIR = "module-cache";

/** Where a started backend listens. */
export interface BackendAddresses {
  readonly instanceName: string;
  readonly port: number;
  readonly sitePort: number;
  readonly cloudOrigin: string;
  readonly siteOrigin: string;
}

/**
 * One Hull deployment: storage → engine → runtime → HTTP servers. `start()` opens everything,
 * activates the deployed app and listens; `stop()` closes the servers (draining requests in
 * flight), then the runtime's workers, then the database. `run()` starts and resolves once
 * stopped. Requests that arrive while starting get 503.
 */
export class Backend implements Service {
  readonly id = "backend";
  readonly #config: BackendConfig;
  /** Run in order by `stop()`: servers first, storage last. */
  readonly #closers: (() => Promise<void>)[] = [];
  #handlers: { client: FetchHandler; site: FetchHandler } = {
    client: notReady,
    site: notReady,
  };
  #stopped!: () => void;
  readonly #done = new Promise<void>((resolve) => (this.#stopped = resolve));
  #stopping: Promise<void> | undefined;

  constructor(config: BackendConfig) {
    this.#config = config;
  }

  async run(): Promise<void> {
    await this.start();
    await this.#done;
  }

  async start(): Promise<BackendAddresses> {
    try {
      return await this.#start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const close of this.#closers.splice(0)) {
        await close().catch((error: unknown) =>
          this.#config.logger.error("error while stopping", { error }),
        );
      }
      this.#stopped();
    })();
    return this.#stopping;
  }

  async #start(): Promise<BackendAddresses> {
    const { dataDir, logger } = this.#config;
    const clock = this.#config.clock ?? systemClock;
    await mkdir(dataDir, { recursive: true });
    const credentials = await loadOrCreateCredentials(dataDir, this.#config);
    const addresses = await this.#listen(credentials);
    const persistence = SqlitePersistence.open({
      path: path.join(dataDir, DATABASE_FILE),
    });
    const database = await Database.open({ persistence, clock, logger });
    this.#closers.push(
      () => database.close(),
      () => persistence.close(),
    );
    const moduleStore = new FileModuleStore(path.join(dataDir, MODULES_DIR));
    const runner = FunctionRunner.create({
      database,
      moduleStore,
      logger,
      clock,
      cacheDir: path.join(dataDir, MODULE_CACHE_DIR),
      deploymentName: credentials.instanceName,
      cloudUrl: addresses.cloudOrigin,
      siteUrl: addresses.siteOrigin,
    });
    this.#closers.splice(-2, 0, () => runner.close());
    const manifests = new ManifestStore(persistence);
    const manifest = await manifests.load();
    if (manifest !== null) await runner.activate(manifest);
    const deploy = new PushService({
      moduleStore,
      analyze: (modules) =>
        analyzeModules(modules, { environmentVariables: {}, logger }),
      runner: {
        get manifest() {
          return runner.manifest as AppManifest | null;
        },
        activate: (next) => runner.activate(next),
      },
      schema: database.schema,
      catalog: () => database.catalog,
      saveManifest: (next) => manifests.save(next),
      logger,
    });
    const deps = {
      instance: {
        instanceName: credentials.instanceName,
        version: HULL_VERSION,
        ...addresses,
      },
      logger,
      clock,
      checkAdminKey: (key: string) => checkAdminKey(key, credentials),
      functions: runner,
      latestTs: () => database.latestTs,
      logs: runner.logs,
      deploy,
    };
    this.#handlers = { client: createHttpApp(deps), site: createSiteApp(deps) };
    logger.info("backend started", { ...addresses, dataDir });
    return addresses;
  }

  /** Binds both ports first, so a taken port fails fast, before storage is opened. */
  async #listen(credentials: InstanceCredentials): Promise<BackendAddresses> {
    const { host, logger } = this.#config;
    const server = (handler: "client" | "site", port: number): NodeHttpServer =>
      new NodeHttpServer({
        fetch: (request) => this.#handlers[handler](request),
        logger: logger.with({ server: handler }),
        host,
        port,
        maxBodyBytes: MAX_PUSH_BODY_BYTES,
        // TODO(issue-4): hand `/api/<version>/sync` upgrades to the sync layer's WebSocket transport.
        upgrade: undefined,
      });
    const client = server("client", this.#config.port);
    const site = server("site", this.#config.sitePort);
    const port = await listenOrExplain(client, host, this.#config.port);
    this.#closers.push(() => client.close());
    const sitePort = await listenOrExplain(site, host, this.#config.sitePort);
    this.#closers.push(() => site.close());
    const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    return {
      instanceName: credentials.instanceName,
      port,
      sitePort,
      cloudOrigin: this.#config.cloudOrigin ?? `http://${shownHost}:${port}`,
      siteOrigin: this.#config.siteOrigin ?? `http://${shownHost}:${sitePort}`,
    };
  }
}

async function listenOrExplain(
  server: NodeHttpServer,
  host: string,
  port: number,
): Promise<number> {
  try {
    return await server.listen();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new BackendError(
        "Overloaded",
        "PortUnavailable",
        `Cannot listen on ${host}:${port} (${String(code)}): is another server running there? Choose another port with --port/--site-port.`,
        { cause: error },
      );
    }
    throw error;
  }
}

function notReady(): Promise<Response> {
  const error = new BackendError(
    "Overloaded",
    "NotReady",
    "The deployment is starting; retry shortly.",
  );
  return Promise.resolve(errorResponse(error, silentLogger));
}
