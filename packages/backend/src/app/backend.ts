import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import { checkAdminKey, type InstanceCredentials } from "../auth/admin-key.js";
import { parseAuthProviders } from "../auth/jwt/auth-providers.js";
import { Database } from "../engine/database.js";
import { BackendError } from "../errors/backend-error.js";
import {
  createHttpApp,
  createSiteApp,
  type FetchHandler,
} from "../http/http-app.js";
import { createCallLane, type CallLane } from "../http/call-lane.js";
import { NodeHttpServer, type UpgradeHandler } from "../http/node-server.js";
import {
  MAX_HTTP_ACTION_BODY_BYTES,
  MAX_PUSH_BODY_BYTES,
} from "../http/request-body.js";
import { errorResponse } from "../http/responses.js";
import { validateCronSpecs } from "../model/cron-jobs.js";
import {
  MUTATION_RECORD_RETENTION_MS,
  MutationRecords,
} from "../model/mutation-records.js";
import { DiskFileStore } from "../model/file-store.js";
import { analyzeModules } from "../runtime/analysis.js";
import { FileStorage } from "../runtime/file-storage.js";
import { FunctionRunner } from "../runtime/function-runner.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { must } from "../shared/asserts.js";
import { silentLogger } from "../shared/logger.js";
import type { SyncAuthVerifier } from "../sync/sync-deps.js";
import { SyncServer } from "../sync/sync-server.js";
import { createSyncUpgradeHandler } from "../sync/ws-transport.js";
import type { BackendConfig } from "./backend-config.js";
import { deriveInstanceKey } from "./credentials.js";
import { followDeployment } from "./deployment-follower.js";
import { ManifestStore } from "./deployment-manifest.js";
import { rerunningAfterActivate } from "./live-query-refresh.js";
import { openDeploymentStorage } from "./deployment-storage.js";
import { EnvironmentVariables } from "./environment-variables.js";
import { recoverManifest } from "./manifest-recovery.js";
import { PushService } from "./push-service.js";
import { startScheduling } from "./scheduling.js";
import type { Service } from "./service.js";
import { createCliSystemFunctions } from "./system/cli-system-functions.js";
import { UserTokens } from "./user-tokens.js";
import { HULL_VERSION } from "./version.js";

/** Where things live inside the data directory. */
const MODULE_CACHE_DIR = "module-cache";
const FILES_DIR = "files";
/** How often mutation records past their retention are deleted. */
const MUTATION_RECORD_SWEEP_MS = 60_000;

/** Where a started backend listens. */
export interface BackendAddresses {
  readonly instanceName: string;
  readonly port: number;
  readonly sitePort: number;
  readonly cloudOrigin: string;
  readonly siteOrigin: string;
}

/**
 * One Hull deployment: storage → engine → runtime → sync and HTTP servers. `start()` binds the
 * ports, opens storage, activates the deployed app and starts serving; until then requests get
 * 503. `stop()` closes WebSockets, drains and closes the HTTP servers, stops the runtime's
 * workers and closes the database, in that order. `run()` starts and resolves once stopped.
 */
export class Backend implements Service {
  readonly id = "backend";
  readonly #config: BackendConfig;
  /** Run in order by `stop()`: sockets first, storage last. */
  readonly #closers: (() => Promise<void>)[] = [];
  #handlers: {
    client: FetchHandler;
    site: FetchHandler;
    /** The client port's function calls, once the deployment is ready (`fetch` answers before). */
    lane: CallLane | null;
    upgrade: UpgradeHandler | null;
  } = {
    client: notReady,
    site: notReady,
    lane: null,
    upgrade: null,
  };
  #stopped!: () => void;
  readonly #done = new Promise<void>((resolve) => (this.#stopped = resolve));
  #starting: Promise<BackendAddresses> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(config: BackendConfig) {
    this.#config = config;
  }

  async run(): Promise<void> {
    await this.start();
    await this.#done;
  }

  /**
   * Starts serving (once; later calls return the same addresses). Rejects, after cleaning up,
   * when a port is taken or storage cannot be opened.
   */
  start(): Promise<BackendAddresses> {
    this.#starting ??= this.#start().catch(async (error: unknown) => {
      await this.stop();
      throw error;
    });
    return this.#starting;
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
    const storage = await openDeploymentStorage({
      dataDir,
      databaseUrl: this.#config.databaseUrl,
      logger,
    });
    const { persistence, moduleStore } = storage;
    let credentials: InstanceCredentials;
    let addresses: BackendAddresses;
    try {
      credentials = await storage.credentials(this.#config);
      addresses = await this.#listen(credentials);
    } catch (error) {
      await storage.close();
      throw error;
    }
    // Cursors are sealed by both the engine and the runtime; one stable key keeps them valid
    // across restarts.
    const cursorSecret = deriveInstanceKey(
      credentials,
      "hull pagination cursors",
    );
    const database = await Database.open({
      persistence,
      clock,
      logger,
      cursorSecret,
    });
    const files = await DiskFileStore.create(path.join(dataDir, FILES_DIR));
    const fileStorage = new FileStorage({
      database,
      files,
      clock,
      origin: addresses.cloudOrigin,
      tokenSecret: deriveInstanceKey(credentials, "hull storage upload tokens"),
    });
    const runner: FunctionRunner = FunctionRunner.create({
      database,
      moduleStore,
      logger,
      clock,
      cacheDir: path.join(dataDir, MODULE_CACHE_DIR),
      cursorSecret,
      deploymentName: credentials.instanceName,
      cloudUrl: addresses.cloudOrigin,
      siteUrl: addresses.siteOrigin,
      systemFunctions: createCliSystemFunctions({
        manifest: () => runner.manifest,
        environmentVariables: () => environment.all(),
      }),
      fileStorage,
    });
    this.#closers.push(
      () => runner.close(),
      () => database.close(),
      () => storage.close(),
    );
    // Live queries re-run when the code or the variables change; the sync server starts last.
    let sync: SyncServer | null = null;
    const rerunLiveQueries = (): void => sync?.rerunAllQueries();
    const environment = await EnvironmentVariables.load(persistence, (vars) => {
      runner.setEnvironmentVariables(vars);
      rerunLiveQueries();
    });
    const manifests = new ManifestStore(persistence);
    const manifest = await recoverManifest(manifests, database.catalog, logger);
    if (manifest !== null) await runner.activate(manifest);
    const scheduling = await startScheduling({
      database,
      runner,
      clock,
      logger,
      shared: storage.shared,
    });
    this.#closers.unshift(() => scheduling.stop());
    if (storage.shared) {
      // Other processes may deploy or change variables: follow what they store.
      this.#closers.unshift(
        followDeployment({
          manifests,
          runner: rerunningAfterActivate(runner, rerunLiveQueries),
          environment,
          logger,
        }),
      );
    }
    const orphans = await fileStorage.sweepOrphans(() => files.listKeys());
    if (orphans > 0)
      logger.info("removed unreferenced stored files", { orphans });
    const deploy = new PushService({
      moduleStore,
      analyze: async (modules) => {
        const analysis = await analyzeModules(modules, {
          environmentVariables: environment.all(),
          logger,
        });
        parseAuthProviders(analysis.authProviders);
        validateCronSpecs(analysis.crons);
        return analysis;
      },
      environmentVariables: () => environment.all(),
      runner: rerunningAfterActivate(scheduling.deployTarget, rerunLiveQueries),
      schema: database.schema,
      catalog: () => database.catalog,
      manifests,
      logger,
    });
    const isAdmin = (key: string): boolean => checkAdminKey(key, credentials);
    const userTokens = new UserTokens({
      providers: () => runner.manifest?.analysis.authProviders ?? null,
      fetch: (url, init) => fetch(url, init),
      clock,
    });
    const auth = {
      checkAdminKey: isAdmin,
      verifyUserToken: (token: string) =>
        userTokens.verify(token).then((verified) => verified.identity),
    };
    sync = this.#startSync(runner, database, auth, clock);
    const deps = {
      instance: { ...addresses, version: HULL_VERSION },
      logger,
      clock,
      checkAdminKey: isAdmin,
      functions: runner,
      latestTs: () => database.latestTs,
      logs: runner.logs,
      deploy,
      environment,
      storage: fileStorage,
      verifyUserToken: auth.verifyUserToken,
    };
    this.#handlers.client = createHttpApp(deps);
    this.#handlers.site = createSiteApp(deps);
    this.#handlers.lane = createCallLane(deps);
    logger.info("backend started", { ...addresses, dataDir });
    return addresses;
  }

  /** The WebSocket sync endpoint (returned); its sockets close before the HTTP servers drain. */
  #startSync(
    runner: FunctionRunner,
    database: Database,
    auth: SyncAuthVerifier,
    clock: Clock,
  ): SyncServer {
    const { logger } = this.#config;
    const mutationRecords = new MutationRecords(database);
    const sync = new SyncServer({
      functions: runner,
      database,
      auth,
      clock,
      logger: logger.with({ component: "sync" }),
      mutationRecords,
    });
    const ws = createSyncUpgradeHandler(sync, { logger, clock });
    this.#handlers.upgrade = (request, socket, head) =>
      ws.upgrade(request, socket, head);
    const sweep = setInterval(() => {
      const before = clock.now() - MUTATION_RECORD_RETENTION_MS;
      mutationRecords
        .deleteBefore(before)
        .catch((error: unknown) =>
          logger.warn("deleting old mutation records failed", { error }),
        );
    }, MUTATION_RECORD_SWEEP_MS);
    sweep.unref();
    this.#closers.unshift(async () => {
      clearInterval(sweep);
      await ws.close();
      sync.close();
    });
    return sync;
  }

  /** Binds both ports first, so a taken port fails fast, before storage is opened. */
  async #listen(credentials: InstanceCredentials): Promise<BackendAddresses> {
    const { host, logger } = this.#config;
    const server = (name: "client" | "site", port: number): NodeHttpServer =>
      new NodeHttpServer({
        fetch: (request) => this.#handlers[name](request),
        logger: logger.with({ server: name }),
        host,
        port,
        maxBodyBytes:
          name === "client" ? MAX_PUSH_BODY_BYTES : MAX_HTTP_ACTION_BODY_BYTES,
        // HTTP actions hand the request to user code, which reads the body its own way.
        standardBodies: name === "site",
        lane: name === "client" ? this.#lane() : undefined,
        upgrade:
          name === "client" ? (...args) => this.#upgrade(...args) : undefined,
      });
    const client = server("client", this.#config.port);
    const port = await listenOrExplain(client, host, this.#config.port);
    this.#closers.push(() => client.close());
    const site = server("site", this.#config.sitePort);
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

  /** The client port's call lane: it accepts nothing until the deployment is ready. */
  #lane(): CallLane {
    return {
      accepts: (method, path) =>
        this.#handlers.lane?.accepts(method, path) ?? false,
      serve: (request) => must(this.#handlers.lane, "lane").serve(request),
    };
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#handlers.upgrade !== null)
      this.#handlers.upgrade(request, socket, head);
    else
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n",
      );
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
        `Cannot listen on ${host}:${port} (${String(code)}): is another server running there? Choose another port with --port / --site-port.`,
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

/**
 * A Hull deployment for `config`, not yet started.
 *
 * @example
 * const backend = createBackend({ dataDir: "./hull-data", host: "127.0.0.1", port: 3210,
 *   sitePort: 3211, logger });
 * const { cloudOrigin } = await backend.start();
 * // … later
 * await backend.stop();
 */
export function createBackend(config: BackendConfig): Backend {
  return new Backend(config);
}
