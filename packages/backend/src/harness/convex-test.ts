/**
 * `convexTest`: the `convex-test` 0.0.60 API over Hull's real engine and runtime. Functions run
 * in this process through Hull's syscalls against a `Database` on memory persistence, so IDs,
 * index rules, validation, limits and OCC behave as on a Hull server. See `README.md`.
 */
import {
  getFunctionName,
  type DataModelFromSchemaDefinition,
  type FunctionReference,
  type FunctionReturnType,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type GenericSchema,
  type OptionalRestArgs,
  type SchemaDefinition,
  type UserIdentity,
} from "convex/server";
import {
  ConvexError,
  convexToJson,
  jsonToConvex,
  type Value,
} from "convex/values";
import type { TransactionLimits } from "../engine/limits.js";
import type { UdfType } from "../runtime/app-analysis.js";
import { shareHostEnvironment } from "../runtime/sandbox/determinism.js";
import { prepareRealm } from "../runtime/sandbox/realm.js";
import type { Execution } from "../runtime/udf-executor.js";
import { canonicalizeUdfPath } from "../runtime/udf-path.js";
import type { JsonValue } from "../values/value.js";
import {
  openHarnessBackend,
  type HarnessBackend,
  type SchemaLike,
} from "./harness-backend.js";
import { fetchHttpAction } from "./harness-http.js";
import { INLINE_MODULE, registerInline } from "./inline-functions.js";
import { discoverModules, type ModuleMap } from "./module-map.js";
import { HarnessScheduler } from "./harness-scheduler.js";

/*
 * The realm's replacements (deterministic `Date`/`Math.random`, guarded timers, console capture,
 * the `Convex` global) are installed when the harness is imported, before a test can install
 * vitest's fake timers: fake timers then layer over them and restore them cleanly.
 */
prepareRealm({ watchdog: null, consoleFallback: null });
shareHostEnvironment();

/** The options form of `convexTest`. */
export interface ConvexTestOptions<Schema> {
  readonly schema?: Schema | undefined;
  readonly modules?: ModuleMap | undefined;
  /**
   * convex-test's limit overrides. Hull always enforces Convex's limits, so `true`/`false`/`{}`
   * all mean the defaults; numbers lower `bytesRead`, `bytesWritten`, `documentsRead`,
   * `documentsWritten` and `databaseQueries` (Hull counts index ranges read). The scheduler's
   * limits (`functionsScheduled`, `scheduledFunctionArgsBytes`) stay at Convex's values.
   */
  readonly transactionLimits?:
    Partial<TestTransactionLimits> | boolean | undefined;
}

/** convex-test's `TransactionMetrics` names. */
export interface TestTransactionLimits {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly databaseQueries: number;
  readonly documentsRead: number;
  readonly documentsWritten: number;
  readonly functionsScheduled: number;
  readonly scheduledFunctionArgsBytes: number;
}

/** Hull's engine limits for convex-test's overrides. */
function engineLimits(
  limits: Partial<TestTransactionLimits> | boolean | undefined,
): Partial<TransactionLimits> {
  if (typeof limits !== "object") return {};
  const mapped: Record<string, number> = {};
  const names: readonly [
    keyof TestTransactionLimits,
    keyof TransactionLimits,
  ][] = [
    ["bytesRead", "maxBytesRead"],
    ["bytesWritten", "maxBytesWritten"],
    ["databaseQueries", "maxReadIntervals"],
    ["documentsRead", "maxDocumentsRead"],
    ["documentsWritten", "maxDocumentsWritten"],
  ];
  for (const [from, to] of names) {
    const value = limits[from];
    if (value !== undefined) mapped[to] = value;
  }
  return mapped;
}

type DataModelOf<Schema> =
  Schema extends SchemaDefinition<GenericSchema, boolean>
    ? DataModelFromSchemaDefinition<Schema>
    : GenericDataModel;

/** The accessor `convexTest` returns (and `withIdentity` derives). */
export interface TestConvex<
  DataModel extends GenericDataModel = GenericDataModel,
> {
  query<Query extends FunctionReference<"query", "public" | "internal">>(
    query: Query,
    ...args: OptionalRestArgs<Query>
  ): Promise<FunctionReturnType<Query>>;
  query<Output>(
    handler: (ctx: GenericQueryCtx<DataModel>) => Output | Promise<Output>,
  ): Promise<Output>;
  mutation<
    Mutation extends FunctionReference<"mutation", "public" | "internal">,
  >(
    mutation: Mutation,
    ...args: OptionalRestArgs<Mutation>
  ): Promise<FunctionReturnType<Mutation>>;
  mutation<Output>(
    handler: (ctx: GenericMutationCtx<DataModel>) => Output | Promise<Output>,
  ): Promise<Output>;
  action<Action extends FunctionReference<"action", "public" | "internal">>(
    action: Action,
    ...args: OptionalRestArgs<Action>
  ): Promise<FunctionReturnType<Action>>;
  action<Output>(
    handler: (ctx: GenericActionCtx<DataModel>) => Output | Promise<Output>,
  ): Promise<Output>;
  /** Runs `handler` as a mutation (a full mutation `ctx`) and returns what it returns. */
  run<Output>(
    handler: (ctx: GenericMutationCtx<DataModel>) => Output | Promise<Output>,
  ): Promise<Output>;
  /** Sends a request to the app's HTTP router (`http.ts`); `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Waits until no scheduled function started so far is running. */
  finishInProgressScheduledFunctions(): Promise<void>;
  /**
   * Runs scheduled functions until none is pending or running, calling `advanceTimers` (e.g.
   * `vi.runAllTimers`) before each round so jobs scheduled in the future become due.
   */
  finishAllScheduledFunctions(
    advanceTimers: () => void,
    maxIterations?: number,
  ): Promise<void>;
  /** The same database, acting as `identity` (missing `subject`/`issuer`/`tokenIdentifier` filled in). */
  withIdentity(identity: Partial<UserIdentity>): TestConvex<DataModel>;
  /** Accepted for compatibility; Hull reports `ip` and `userAgent` as null (see README). */
  withRequestMetadata(metadata: {
    ip?: string;
    userAgent?: string;
  }): TestConvex<DataModel>;
  /** Components are not supported by Hull's runtime yet: throws. */
  registerComponent(name: string, schema: unknown, modules: ModuleMap): void;
}

interface InstanceOptions {
  readonly schema: SchemaLike | null;
  readonly modules: ModuleMap;
  readonly transactionLimits: Partial<TransactionLimits> | undefined;
}

/** One instance's shared state: every accessor derived from it uses the same database. */
class HarnessInstance {
  readonly #options: InstanceOptions;
  #backend: Promise<
    HarnessBackend & { readonly scheduler: () => HarnessScheduler }
  > | null = null;
  #nextRequestId = 1;

  constructor(options: InstanceOptions) {
    this.#options = options;
  }

  /** The database, executor and scheduler, opened on first use. */
  backend(): Promise<
    HarnessBackend & { readonly scheduler: () => HarnessScheduler }
  > {
    this.#backend ??= openHarnessBackend(this.#options).then((backend) => ({
      ...backend,
      scheduler: HarnessScheduler.lazy(backend),
    }));
    return this.#backend;
  }

  async scheduler(): Promise<HarnessScheduler> {
    return (await this.backend()).scheduler();
  }

  requestId(): string {
    return (this.#nextRequestId++).toString(16).padStart(16, "0");
  }
}

/** An accessor: the instance plus who is calling. */
class Accessor implements TestConvex {
  readonly #instance: HarnessInstance;
  readonly #identity: Readonly<Record<string, JsonValue>> | null;

  constructor(
    instance: HarnessInstance,
    identity: Readonly<Record<string, JsonValue>> | null,
  ) {
    this.#instance = instance;
    this.#identity = identity;
  }

  query(fn: unknown, args?: Record<string, Value>): Promise<never> {
    return this.#call("query", fn, args);
  }

  mutation(fn: unknown, args?: Record<string, Value>): Promise<never> {
    return this.#call("mutation", fn, args);
  }

  action(fn: unknown, args?: Record<string, Value>): Promise<never> {
    return this.#call("action", fn, args);
  }

  run(handler: unknown): Promise<never> {
    return this.#call("mutation", handler, undefined);
  }

  async fetch(path: string, init?: RequestInit): Promise<Response> {
    if (!path.startsWith("/")) {
      throw new Error("Path given to `t.fetch` must start with a `/`");
    }
    const backend = await this.#instance.backend();
    return fetchHttpAction(
      backend,
      new Request(`${HTTP_ORIGIN}${path}`, init),
      {
        identity: this.#identity,
        requestId: this.#instance.requestId(),
      },
    );
  }

  async finishInProgressScheduledFunctions(): Promise<void> {
    await (await this.#instance.scheduler()).finishInProgress();
  }

  async finishAllScheduledFunctions(
    advanceTimers: () => void,
    maxIterations = DEFAULT_MAX_ITERATIONS,
  ): Promise<void> {
    const scheduler = await this.#instance.scheduler();
    await scheduler.finishAll(advanceTimers, maxIterations);
  }

  withIdentity(identity: Partial<UserIdentity>): TestConvex {
    return new Accessor(this.#instance, completeIdentity(identity));
  }

  withRequestMetadata(): TestConvex {
    return new Accessor(this.#instance, this.#identity);
  }

  registerComponent(name: string): void {
    throw new Error(
      `Cannot register component "${name}": components are not supported by Hull's runtime yet (issue 5).`,
    );
  }

  async #call(
    kind: UdfType,
    fn: unknown,
    args: Record<string, Value> | undefined,
  ): Promise<never> {
    const backend = await this.#instance.backend();
    if (typeof fn === "function") {
      return this.#callInline(backend, kind, fn as (ctx: never) => unknown);
    }
    const execution = await this.#execute(
      backend,
      kind,
      canonicalizeUdfPath(getFunctionName(fn as FunctionReference<UdfType>)),
      convexToJson(args ?? {}),
    );
    if (!execution.success) throw executionError(execution);
    return jsonToConvex(execution.value) as never;
  }

  async #callInline(
    backend: HarnessBackend,
    kind: UdfType,
    handler: (ctx: never) => unknown,
  ): Promise<never> {
    const inline = registerInline(handler);
    const execution = await this.#execute(
      backend,
      kind,
      `${INLINE_MODULE}:${kind}`,
      {
        id: inline.id,
      },
    );
    const outcome = inline.take();
    if (!execution.success) {
      throw outcome !== null && !outcome.ok
        ? outcome.error
        : executionError(execution);
    }
    if (outcome === null || !outcome.ok) {
      throw new Error("The inline function did not run to completion.");
    }
    return outcome.value as never;
  }

  #execute(
    backend: HarnessBackend,
    kind: UdfType,
    udfPath: string,
    args: JsonValue,
  ): Promise<Execution> {
    return backend.executor.execute(backend.app.deployment, {
      udfPath,
      udfType: kind,
      args,
      identity: this.#identity,
      allowInternal: true,
      requestId: this.#instance.requestId(),
    });
  }
}

/** The origin `t.fetch` paths are resolved against. */
const HTTP_ORIGIN = "http://127.0.0.1:3211";

/** convex-test's bound on `finishAllScheduledFunctions` rounds. */
const DEFAULT_MAX_ITERATIONS = 100;

/** convex-test's issuer for identities without one. */
const DEFAULT_ISSUER = "https://convex.test";

/** Fills in `subject`, `issuer` and `tokenIdentifier` (`issuer|subject`) as convex-test does. */
export function completeIdentity(
  identity: Partial<UserIdentity>,
): Record<string, JsonValue> {
  const fields = JSON.parse(JSON.stringify(identity)) as Record<
    string,
    JsonValue
  >;
  const subject =
    typeof fields["subject"] === "string"
      ? fields["subject"]
      : stableHash(JSON.stringify(fields));
  const issuer =
    typeof fields["issuer"] === "string" ? fields["issuer"] : DEFAULT_ISSUER;
  return {
    ...fields,
    subject,
    issuer,
    tokenIdentifier:
      typeof fields["tokenIdentifier"] === "string"
        ? fields["tokenIdentifier"]
        : `${issuer}|${subject}`,
  };
}

/** A short deterministic hash (FNV-1a, 32 bits) so the same identity gets the same subject. */
function stableHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** The error a failed call throws: a `ConvexError` with its data, else an `Error`. */
function executionError(
  execution: Extract<Execution, { success: false }>,
): Error {
  if (execution.errorData !== undefined) {
    return new ConvexError(jsonToConvex(execution.errorData));
  }
  return new Error(execution.errorMessage);
}

/**
 * Creates a test backend for a Convex app: `convexTest(schema?, modules?)` or
 * `convexTest({ schema?, modules?, transactionLimits? })`. `modules` is an
 * `import.meta.glob("./**\/*.*s")` map whose functions root is found by its `_generated/`
 * entry; without it, the project's `convex/` directory (or `convex.json`'s `functions`) under
 * the working directory is used. Each call is an isolated, empty database; the app's modules
 * are imported once per map and shared.
 *
 * @example
 * ```ts
 * const t = convexTest(schema, modules);
 * await t.mutation(api.messages.send, { body: "hi" });
 * expect(await t.query(api.messages.list)).toHaveLength(1);
 * ```
 */
export function convexTest<
  Schema extends SchemaDefinition<GenericSchema, boolean>,
>(
  schemaOrOptions?: Schema | ConvexTestOptions<Schema>,
  modules?: ModuleMap,
): TestConvex<DataModelOf<Schema>> {
  const options: ConvexTestOptions<Schema> =
    schemaOrOptions === undefined || isSchema(schemaOrOptions)
      ? { schema: schemaOrOptions as Schema | undefined, modules }
      : (schemaOrOptions as ConvexTestOptions<Schema>);
  const instance = new HarnessInstance({
    schema: (options.schema as SchemaLike | undefined) ?? null,
    modules: options.modules ?? discoverModules(),
    transactionLimits: engineLimits(options.transactionLimits),
  });
  return new Accessor(instance, null) as unknown as TestConvex<
    DataModelOf<Schema>
  >;
}

function isSchema(value: unknown): value is SchemaLike {
  return typeof (value as Partial<SchemaLike>).export === "function";
}
