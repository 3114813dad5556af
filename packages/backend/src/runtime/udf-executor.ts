/**
 * Executes functions against a deployment: resolves the path, validates arguments, runs the
 * code in the deployment's sandbox inside the right kind of transaction, validates the result,
 * and records the execution in the function log. Nested calls (`ctx.runQuery` and friends) come
 * back here through `InvocationServices`.
 *
 * - Queries run in a read-only transaction at the requested snapshot.
 * - Mutations run in `Database.runInTransaction`, so OCC conflicts re-run them transparently; a
 *   failure (thrown error, validation) aborts without committing.
 * - Actions run without a transaction; their `runQuery`/`runMutation`/`runAction` calls are
 *   separate executions.
 * - An invocation lost with its worker (another function's runaway code) is retried when it is
 *   a query or mutation; an action fails.
 */
import { randomFillSync } from "node:crypto";
import { BackendError } from "../errors/backend-error.js";
import type { Database } from "../engine/database.js";
import type { CursorCodec } from "../engine/query/cursor.js";
import type { ReadSet } from "../engine/read-set.js";
import type { Transaction } from "../engine/transaction.js";
import type { Clock } from "../shared/clock.js";
import type { Timestamp } from "../storage/persistence.js";
import { convexToJson, jsonToConvex } from "../values/json.js";
import type { JsonValue } from "../values/value.js";
import type { UdfType } from "./app-analysis.js";
import type { DeployedFunction, Deployment } from "./deployment.js";
import type { FileStorage } from "./file-storage.js";
import type { FunctionLogs } from "./function-logs.js";
import { SchedulerSyscalls } from "./scheduler-syscalls.js";
import { vectorSearchSyscall } from "./vector-search-syscall.js";
import {
  HostInvocation,
  MAX_CALL_DEPTH,
  type InvocationServices,
  type NestedCall,
  type UserIdentity,
} from "./host-invocation.js";
import type { InvocationOutcome, InvocationSpec } from "./sandbox/executor.js";
import { SyscallError, type SyscallReply } from "./sandbox/invocation.js";
import type { LogLine } from "./sandbox/log-collector.js";
import { SandboxLostError, type RuntimeLimits } from "./sandbox-host.js";
import { beginSubtransaction } from "./subtransaction.js";
import {
  decodeArgs,
  depthError,
  nestedTarget,
  resolveFunction,
  type ArgsValue,
} from "./udf-resolution.js";
import {
  catalogValidationContext,
  checkArgs,
  checkReturns,
} from "./validation.js";

/**
 * A mutation's last step inside its transaction, given what it returned (the scheduler marks
 * its job done; the sync layer records the request for exactly-once delivery). A throw abandons
 * the transaction and rejects the run.
 */
export type BeforeCommit = (
  tx: Transaction,
  outcome: { readonly value: JsonValue },
) => Promise<void>;

/** One execution request with a canonical path (see `FunctionRunner.run`). */
export interface ExecutionRequest {
  readonly udfPath: string;
  readonly udfType?: UdfType | undefined;
  readonly args: JsonValue;
  readonly identity: UserIdentity | null;
  readonly allowInternal: boolean;
  readonly readTs?: Timestamp | undefined;
  readonly requestId: string;
  readonly journal?: string | null | undefined;
  /**
   * Mutations: called in the transaction after the function succeeded, before the commit, with
   * what the mutation returned.
   */
  readonly beforeCommit?: BeforeCommit | undefined;
  /** The `_scheduled_functions` job being run, if any. */
  readonly scheduledJobId?: string | null | undefined;
}

export type ExecutionResult =
  | { readonly success: true; readonly value: JsonValue }
  | {
      readonly success: false;
      readonly errorMessage: string;
      readonly errorData?: JsonValue | undefined;
    };

export type Execution = ExecutionResult & {
  readonly udfType: UdfType;
  readonly logLines: readonly LogLine[];
  readonly ts: Timestamp;
  readonly readSet?: ReadSet | undefined;
  readonly journal?: string | null | undefined;
  readonly usedAuth?: boolean | undefined;
};

export interface UdfExecutorOptions {
  readonly database: Database;
  readonly clock: Clock;
  readonly limits: RuntimeLimits;
  readonly cursors: CursorCodec;
  readonly deploymentName: string;
  readonly logs: FunctionLogs;
  /** Backs `ctx.storage`; null: storage syscalls fail with a clear error. */
  readonly storage?: FileStorage | null | undefined;
}

/** How often a query or mutation lost with its worker is re-run before giving up. */
const MAX_SANDBOX_RETRIES = 3;

/** A failure of user code or input, carried out of a transaction so that it does not commit. */
class UserFailure extends Error {
  readonly result: Extract<ExecutionResult, { success: false }>;
  readonly logLines: readonly LogLine[];

  constructor(
    result: Extract<ExecutionResult, { success: false }>,
    logLines: readonly LogLine[],
  ) {
    super(result.errorMessage);
    this.result = result;
    this.logLines = logLines;
  }
}

export class UdfExecutor {
  readonly #options: UdfExecutorOptions;
  readonly #services = new WeakMap<Deployment, InvocationServices>();
  #nextInvocationId = 1;

  constructor(options: UdfExecutorOptions) {
    this.#options = options;
  }

  /** Runs `request` against `deployment`; user-caused failures are results, not rejections. */
  async execute(
    deployment: Deployment | null,
    request: ExecutionRequest,
    depth = 0,
  ): Promise<Execution> {
    const startedMs = this.#options.clock.now();
    const resolved = resolveFunction(deployment, request);
    if (typeof resolved === "string") {
      return this.#failure(request.udfType ?? "query", resolved);
    }
    const args = decodeArgs(request.args);
    if (typeof args === "string")
      return this.#failure(resolved.fn.analyzed.udfType, args);
    const execution = await this.#executeResolved(
      resolved.deployment,
      resolved.fn,
      args,
      request,
      depth,
    );
    this.#publish(resolved.fn, request, execution, startedMs);
    return execution;
  }

  #executeResolved(
    deployment: Deployment,
    fn: DeployedFunction,
    args: ArgsValue,
    request: ExecutionRequest,
    depth: number,
  ): Promise<Execution> {
    switch (fn.analyzed.udfType) {
      case "query":
        return this.#retryLost(() =>
          this.#query(deployment, fn, args, request, depth),
        );
      case "mutation":
        return this.#retryLost(() =>
          this.#mutation(deployment, fn, args, request, depth),
        );
      case "action":
        return this.#action(deployment, fn, args, request, depth);
    }
  }

  async #query(
    deployment: Deployment,
    fn: DeployedFunction,
    args: ArgsValue,
    request: ExecutionRequest,
    depth: number,
  ): Promise<Execution> {
    // With several processes (PostgreSQL), first absorb the commits other processes acknowledged,
    // so a query sees every mutation acknowledged before it started (a no-op otherwise).
    if (request.readTs === undefined) await this.#options.database.follow();
    const tx = this.#options.database.begin({ readTs: request.readTs });
    const host = this.#host(deployment, fn, tx, request, depth);
    try {
      const { result, logLines } = await this.#invoke(
        deployment,
        fn,
        args,
        host,
        tx,
      );
      return {
        ...result,
        udfType: "query",
        logLines,
        ts: tx.readTs,
        readSet: tx.readSet,
        journal: host.journal,
        usedAuth: host.usedAuth,
      };
    } finally {
      host.close();
      tx.close();
    }
  }

  async #mutation(
    deployment: Deployment,
    fn: DeployedFunction,
    args: ArgsValue,
    request: ExecutionRequest,
    depth: number,
  ): Promise<Execution> {
    try {
      const { value, ts } = await this.#options.database.runInTransaction(
        async (tx) => {
          const host = this.#host(deployment, fn, tx, request, depth);
          try {
            const { result, logLines } = await this.#invoke(
              deployment,
              fn,
              args,
              host,
              tx,
            );
            if (!result.success) throw new UserFailure(result, logLines);
            await request.beforeCommit?.(tx, { value: result.value });
            return { result, logLines };
          } finally {
            host.close();
          }
        },
      );
      return {
        ...value.result,
        udfType: "mutation",
        logLines: value.logLines,
        ts,
      };
    } catch (e) {
      if (!(e instanceof UserFailure)) throw e;
      return {
        ...e.result,
        udfType: "mutation",
        logLines: e.logLines,
        ts: this.#options.database.latestTs,
      };
    }
  }

  async #action(
    deployment: Deployment,
    fn: DeployedFunction,
    args: ArgsValue,
    request: ExecutionRequest,
    depth: number,
  ): Promise<Execution> {
    const host = this.#host(deployment, fn, null, request, depth);
    try {
      const { result, logLines } = await this.#invoke(
        deployment,
        fn,
        args,
        host,
        null,
      );
      return {
        ...result,
        udfType: "action",
        logLines,
        ts: this.#options.database.latestTs,
      };
    } catch (e) {
      if (!(e instanceof SandboxLostError)) throw e;
      return {
        success: false,
        errorMessage:
          "Your action was interrupted because the worker running it was stopped (another function exceeded its limits). Please retry.",
        udfType: "action",
        logLines: [],
        ts: this.#options.database.latestTs,
      };
    }
  }

  /** Validates, runs in the sandbox, validates the result. Throws `SandboxLostError`. */
  async #invoke(
    deployment: Deployment,
    fn: DeployedFunction,
    args: ArgsValue,
    host: HostInvocation,
    tx: Transaction | null,
  ): Promise<{ result: ExecutionResult; logLines: readonly LogLine[] }> {
    const context = catalogValidationContext(() =>
      tx === null ? this.#options.database.catalog : tx.catalog,
    );
    const argsError = checkArgs(fn.validators, args.value, context);
    if (argsError !== null) {
      return {
        result: { success: false, errorMessage: argsError },
        logLines: [],
      };
    }
    const outcome = await deployment.sandbox.run(
      this.#spec(fn, args, host, tx),
      host,
    );
    if (host.lost)
      throw new SandboxLostError("A nested call was lost with its worker");
    return {
      result: this.#result(fn, outcome, context),
      logLines: outcome.logLines,
    };
  }

  #result(
    fn: DeployedFunction,
    outcome: InvocationOutcome,
    context: ReturnType<typeof catalogValidationContext>,
  ): ExecutionResult {
    if (outcome.type === "failure") {
      const { message, data } = outcome.failure;
      return data === undefined
        ? { success: false, errorMessage: message }
        : {
            success: false,
            errorMessage: message,
            errorData: data as JsonValue,
          };
    }
    const value = JSON.parse(outcome.resultJson) as JsonValue;
    if (fn.validators.returns !== null) {
      const error = checkReturns(fn.validators, jsonToConvex(value), context);
      if (error !== null) return { success: false, errorMessage: error };
    }
    return { success: true, value };
  }

  #spec(
    fn: DeployedFunction,
    args: ArgsValue,
    host: HostInvocation,
    tx: Transaction | null,
  ): InvocationSpec {
    const { limits, clock } = this.#options;
    const kind = fn.analyzed.udfType;
    return {
      id: this.nextInvocationId(),
      modulePath: fn.modulePath,
      functionName: fn.name,
      kind,
      argsJson: `[${args.json}]`,
      requestId: host.scope.requestId,
      nowMs: clock.now(),
      seed: randomSeed(),
      snapshotTsJson:
        tx === null ? null : JSON.stringify(convexToJson(tx.readTs)),
      timeLimitMs:
        kind === "action"
          ? limits.actionTimeoutMs
          : limits.queryMutationTimeoutMs,
      wallClockLimitMs:
        kind === "action"
          ? limits.actionTimeoutMs
          : limits.queryMutationWallClockMs,
    };
  }

  #host(
    deployment: Deployment,
    fn: DeployedFunction,
    tx: Transaction | null,
    request: Pick<
      ExecutionRequest,
      "identity" | "requestId" | "journal" | "scheduledJobId"
    >,
    depth: number,
  ): HostInvocation {
    return new HostInvocation(
      {
        udfPath: fn.path,
        kind: fn.analyzed.udfType,
        tx,
        identity: request.identity,
        depth,
        requestId: request.requestId,
        journal: request.journal ?? null,
        scheduledJobId: request.scheduledJobId ?? null,
      },
      this.servicesFor(deployment),
    );
  }

  async #retryLost(run: () => Promise<Execution>): Promise<Execution> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (e) {
        if (!(e instanceof SandboxLostError)) throw e;
        if (attempt >= MAX_SANDBOX_RETRIES) {
          throw new BackendError(
            "Overloaded",
            "SandboxRestarted",
            "The function was interrupted several times because its worker was stopped. Please retry.",
            { cause: e },
          );
        }
      }
    }
  }

  /** A fresh invocation id, unique across the runner's sandboxes. */
  nextInvocationId(): number {
    return this.#nextInvocationId++;
  }

  /** What invocations of `deployment` call back into (nested calls, deployment metadata). */
  servicesFor(deployment: Deployment): InvocationServices {
    let services = this.#services.get(deployment);
    if (services === undefined) {
      services = {
        cursors: this.#options.cursors,
        deploymentName: this.#options.deploymentName,
        storage: this.#options.storage ?? null,
        runNested: (parent, call) => this.#runNested(deployment, parent, call),
        scheduler: new SchedulerSyscalls(
          deployment,
          this.#options.database,
          this.#options.clock,
        ),
        runFromAction: (parent, call) =>
          this.#runFromAction(deployment, parent, call),
        vectorSearch: (query) =>
          vectorSearchSyscall(this.#options.database, query),
      };
      this.#services.set(deployment, services);
    }
    return services;
  }

  /** `ctx.runQuery`/`ctx.runMutation` inside a query or mutation: a sub-transaction. */
  async #runNested(
    deployment: Deployment,
    parent: HostInvocation,
    call: NestedCall,
  ): Promise<SyscallReply> {
    const fn = nestedTarget(deployment, parent, call);
    const args = decodeArgs(call.args);
    if (typeof args === "string") throw new SyscallError(args);
    const parentTx = parent.scope.tx;
    if (parentTx === null)
      throw new SyscallError("Nested calls need a transaction");
    const tx = call.snapshot ? this.#options.database.begin() : parentTx;
    const sub = call.udfType === "mutation" ? beginSubtransaction(tx) : null;
    // The caller's pagination journal belongs to the caller, not to the callee.
    const scope = { ...parent.scope, journal: null };
    const host = this.#host(deployment, fn, tx, scope, parent.scope.depth + 1);
    let committed = false;
    try {
      const { result, logLines } = await this.#invoke(
        deployment,
        fn,
        args,
        host,
        tx,
      );
      if (!result.success) {
        throw new SyscallError(result.errorMessage, result.errorData, logLines);
      }
      sub?.commit();
      committed = true;
      return { result: JSON.stringify(result.value), logLines };
    } catch (e) {
      if (e instanceof SandboxLostError) {
        parent.lost = true;
        throw new SyscallError("The nested function call was interrupted.");
      }
      throw e;
    } finally {
      if (!committed) sub?.rollback();
      host.close();
      if (call.snapshot) tx.close();
    }
  }

  /** `ctx.runQuery`/`runMutation`/`runAction` from an action: a separate execution. */
  async #runFromAction(
    deployment: Deployment,
    parent: HostInvocation,
    call: NestedCall,
  ): Promise<SyscallReply> {
    if (parent.scope.depth + 1 > MAX_CALL_DEPTH)
      throw new SyscallError(depthError());
    const execution = await this.execute(
      deployment,
      {
        udfPath: call.udfPath,
        udfType: call.udfType,
        args: call.args,
        identity: parent.scope.identity,
        allowInternal: true,
        requestId: parent.scope.requestId,
      },
      parent.scope.depth + 1,
    );
    if (!execution.success) {
      throw new SyscallError(execution.errorMessage, execution.errorData);
    }
    return { result: JSON.stringify(execution.value) };
  }

  #failure(udfType: UdfType, errorMessage: string): Execution {
    return {
      success: false,
      errorMessage,
      udfType,
      logLines: [],
      ts: this.#options.database.latestTs,
    };
  }

  #publish(
    fn: DeployedFunction,
    request: ExecutionRequest,
    execution: Execution,
    startedMs: number,
  ): void {
    const now = this.#options.clock.now();
    const kind = fn.analyzed.udfType;
    this.#options.logs.publish({
      udfType:
        kind === "query"
          ? "Query"
          : kind === "mutation"
            ? "Mutation"
            : "Action",
      identifier: fn.path,
      timestampMs: now,
      executionTimeMs: now - startedMs,
      logLines: execution.logLines,
      error: execution.success ? null : execution.errorMessage,
      requestId: request.requestId,
    });
  }
}

/** Seeds for invocations' generators, drawn from the OS 1024 words at a time (cheaper per call). */
const seedWords = new Uint32Array(1024);
let seedOffset = seedWords.length;

function randomSeed(): [number, number, number, number] {
  if (seedOffset + 4 > seedWords.length) {
    randomFillSync(seedWords);
    seedOffset = 0;
  }
  const seed = seedWords.subarray(seedOffset, seedOffset + 4);
  seedOffset += 4;
  return [seed[0]!, seed[1]!, seed[2]!, seed[3]!];
}
