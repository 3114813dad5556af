/**
 * The backend state one `convexTest` instance owns: a `Database` on memory persistence (schema
 * applied from a per-schema recording, see `schema-template.ts`) and a `UdfExecutor` that runs the shared app's functions against it. Created lazily
 * on the instance's first call, so creating an instance costs almost nothing.
 */
import { randomBytes } from "node:crypto";
import { Database } from "../engine/database.js";
import type { TransactionLimits } from "../engine/limits.js";
import { createCursorCodec } from "../engine/query/cursor.js";
import { MemoryFileStore } from "../model/file-store.js";
import { FileStorage } from "../runtime/file-storage.js";
import { FunctionLogs } from "../runtime/function-logs.js";
import type { LogLine } from "../runtime/sandbox/log-collector.js";
import { realSetTimeout } from "../runtime/sandbox/originals.js";
import { DEFAULT_RUNTIME_LIMITS } from "../runtime/sandbox-host.js";
import { UdfExecutor } from "../runtime/udf-executor.js";
import type { Clock } from "../shared/clock.js";
import { loadHarnessApp, type HarnessApp } from "./harness-app.js";
import type { ModuleMap } from "./module-map.js";
import { persistenceWithSchema } from "./schema-template.js";

/** What `schema.export()` of `defineSchema(...)` offers. */
export interface SchemaLike {
  export(): string;
}

export interface HarnessBackendOptions {
  readonly schema: SchemaLike | null;
  readonly modules: ModuleMap;
  readonly transactionLimits: Partial<TransactionLimits> | undefined;
}

/** One instance's database, executor and app. */
export interface HarnessBackend {
  readonly app: HarnessApp;
  readonly database: Database;
  readonly executor: UdfExecutor;
  readonly logs: FunctionLogs;
  readonly clock: Clock;
}

/**
 * Reads `Date.now()` at call time (vitest's fake timers move it) but sleeps on the real timer
 * captured at load, so OCC backoff never waits for a test to advance fake timers.
 */
export const harnessClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => realSetTimeout(resolve, ms)),
};

/** Where `ctx.storage.getUrl` URLs point (nothing serves them in the harness). */
const STORAGE_ORIGIN = "http://127.0.0.1:3210";

/** Cursors need a sealing key; tests need no stability across processes. */
const CURSOR_SECRET = randomBytes(32);
const cursors = createCursorCodec(CURSOR_SECRET);

const exportedSchemas = new WeakMap<SchemaLike, string>();

/** `schema.export()` serialises every validator; a test file passes the same schema each time. */
function exportSchema(schema: SchemaLike): string {
  let json = exportedSchemas.get(schema);
  if (json === undefined) {
    json = schema.export();
    exportedSchemas.set(schema, json);
  }
  return json;
}

/**
 * Opens the database, applies the schema and binds an executor to the app.
 *
 * @throws Error when the modules fail to load or the schema is invalid.
 */
export async function openHarnessBackend(
  options: HarnessBackendOptions,
): Promise<HarnessBackend> {
  const appPromise = loadHarnessApp(options.modules);
  const persistence = await persistenceWithSchema(
    options.schema === null ? null : exportSchema(options.schema),
    { clock: harnessClock, cursorSecret: CURSOR_SECRET },
  );
  const database = await Database.open({
    persistence,
    clock: harnessClock,
    cursorSecret: CURSOR_SECRET,
    limits: options.transactionLimits,
  });
  const logs = new FunctionLogs(0);
  logs.subscribe((entry) => printLogLines(entry.logLines));
  const storage = new FileStorage({
    database,
    files: new MemoryFileStore(),
    clock: harnessClock,
    tokenSecret: CURSOR_SECRET,
    origin: STORAGE_ORIGIN,
  });
  const executor = new UdfExecutor({
    database,
    storage,
    clock: harnessClock,
    limits: DEFAULT_RUNTIME_LIMITS,
    cursors,
    deploymentName: "hull-test",
    logs,
  });
  return {
    app: await appPromise,
    database,
    executor,
    logs,
    clock: harnessClock,
  };
}

const CONSOLE_METHOD = {
  LOG: "log",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
  DEBUG: "debug",
} as const;

/**
 * User functions' console output, captured as log lines by the sandbox, goes to the test's
 * console, as it does when `convex-test` runs the functions directly.
 */
function printLogLines(lines: readonly LogLine[]): void {
  for (const line of lines) {
    // eslint-disable-next-line no-console -- the harness shows user functions' own console output
    console[CONSOLE_METHOD[line.level]](line.messages.join(" "));
  }
}
