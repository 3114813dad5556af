import { issueAdminKey, checkAdminKey } from "../auth/admin-key.js";
import { silentLogger } from "../shared/logger.js";
import type { Clock } from "../shared/clock.js";
import type {
  EnvironmentVariableChange,
  FunctionExecutionLog,
  FunctionLogSource,
  FunctionRunnerPort,
  HttpDeps,
  RunResult,
  UdfRequest,
} from "./http-deps.js";
import type {
  DeployApi,
  PreparedPush,
  PushDiff,
  PushRequest,
  SchemaStatus,
} from "./push/deploy-api.js";

/*
 * Test support for `createHttpApp`: small hand-written fakes that record what the routes asked
 * for. Not used outside tests.
 */

const CREDENTIALS = {
  instanceName: "test-instance",
  instanceSecret: "ab".repeat(32),
};

/** A valid admin key for the fake deps' instance. */
export const TEST_ADMIN_KEY = issueAdminKey(CREDENTIALS, {
  nowMs: 1_763_000_000_000,
  randomBytes: (n) => new Uint8Array(n).fill(7),
});

/** Records calls and answers with `respond` (default: echo the args as the value). */
export class FakeFunctionRunner implements FunctionRunnerPort {
  readonly calls: UdfRequest[] = [];
  respond: (request: UdfRequest) => Promise<RunResult> = (request) =>
    Promise.resolve({
      success: true,
      value: request.args,
      logLines: ["[LOG] 'called'"],
    });
  httpAction: ((request: Request) => Promise<Response>) | undefined;

  run(request: UdfRequest): Promise<RunResult> {
    this.calls.push(request);
    return this.respond(request);
  }

  runHttpAction(request: Request): Promise<Response> {
    if (this.httpAction === undefined)
      throw new Error("no HTTP action configured");
    return this.httpAction(request);
  }
}

/** An in-memory log buffer with the runtime's cursor semantics. */
export class FakeLogSource implements FunctionLogSource {
  readonly #entries: FunctionExecutionLog[] = [];
  readonly #waiters = new Set<() => void>();

  add(entry: FunctionExecutionLog): void {
    this.#entries.push(entry);
    for (const wake of this.#waiters) wake();
  }

  since(cursorMs: number): {
    entries: FunctionExecutionLog[];
    newCursor: number;
  } {
    const entries = this.#entries.filter((e) => e.timestampMs > cursorMs);
    return { entries, newCursor: entries.at(-1)?.timestampMs ?? cursorMs };
  }

  waitForEntries(cursorMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (signal.aborted || this.since(cursorMs).entries.length > 0) {
          this.#waiters.delete(check);
          resolve();
        }
      };
      this.#waiters.add(check);
      signal.addEventListener("abort", check, { once: true });
      check();
    });
  }
}

/** Records push calls; `prepared`, `status` and `diff` set the answers. */
export class FakeDeployApi implements DeployApi {
  readonly prepareCalls: PushRequest[] = [];
  readonly finishCalls: { pushId: string; dryRun: boolean }[] = [];
  readonly waitCalls: { pushId: string; timeoutMs: number }[] = [];
  prepared: PreparedPush = {
    pushId: "push-1",
    analysis: {
      modules: {
        "messages.js": {
          path: "messages.js",
          environment: "isolate",
          functions: [
            {
              name: "list",
              udfType: "query",
              visibility: "public",
              args: "{}",
              returns: null,
            },
          ],
        },
      },
      schema: null,
      crons: null,
      httpRoutes: null,
      authProviders: [],
    },
    udfServerVersion: "1.48.0",
    indexDiff: { added: [], removed: [] },
    environmentVariables: {},
  };
  status: SchemaStatus = { type: "complete" };
  diff: PushDiff = {
    firstPush: true,
    modules: { added: ["messages.js"], removed: [] },
    udfServerVersion: null,
    crons: { added: [], updated: [], deleted: [] },
    indexDiff: { added: [], removed: [] },
    schema: null,
    auth: { added: [], removed: [] },
  };

  moduleHashes() {
    return [
      { path: "messages.js", environment: "isolate" as const, sha256: "abc" },
    ];
  }

  udfServerVersion(): string | null {
    return "1.48.0";
  }

  prepare(request: PushRequest): Promise<PreparedPush> {
    this.prepareCalls.push(request);
    return Promise.resolve(this.prepared);
  }

  waitForSchema(pushId: string, timeoutMs: number): Promise<SchemaStatus> {
    this.waitCalls.push({ pushId, timeoutMs });
    return Promise.resolve(this.status);
  }

  finish(pushId: string, options: { dryRun: boolean }): Promise<PushDiff> {
    this.finishCalls.push({ pushId, dryRun: options.dryRun });
    return Promise.resolve(this.diff);
  }
}

const fixedClock: Clock = {
  now: () => 1_763_000_000_000,
  sleep: () => Promise.resolve(),
};

/** Deps wired with fresh fakes, returned alongside so tests can inspect and script them. */
export function createFakeHttpDeps(): {
  deps: HttpDeps;
  functions: FakeFunctionRunner;
  logs: FakeLogSource;
  deploy: FakeDeployApi;
  environmentChanges: EnvironmentVariableChange[][];
} {
  const environmentChanges: EnvironmentVariableChange[][] = [];
  const functions = new FakeFunctionRunner();
  const logs = new FakeLogSource();
  const deploy = new FakeDeployApi();
  const deps: HttpDeps = {
    instance: {
      instanceName: CREDENTIALS.instanceName,
      version: "0.1.0",
      cloudOrigin: "http://127.0.0.1:3210",
      siteOrigin: "http://127.0.0.1:3211",
    },
    logger: silentLogger,
    clock: fixedClock,
    checkAdminKey: (key) => checkAdminKey(key, CREDENTIALS),
    functions,
    latestTs: () => 1_732_200_000_000_000_000n,
    logs,
    deploy,
    environment: {
      update: (changes) => {
        environmentChanges.push([...changes]);
        return Promise.resolve();
      },
    },
  };
  return { deps, functions, logs, deploy, environmentChanges };
}
