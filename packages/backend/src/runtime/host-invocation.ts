/**
 * The host's side of one invocation: answers its syscalls (`SyscallChannel`), against its
 * transaction for queries and mutations, and through the runner for nested calls. Errors go back
 * to user code as `SyscallError`s, which the `convex` package turns into `Error`s (or
 * `ConvexError`s when they carry data).
 */
import { isBackendError } from "../errors/backend-error.js";
import type { Transaction } from "../engine/transaction.js";
import type { CursorCodec } from "../engine/query/cursor.js";
import type { JsonValue } from "../values/value.js";
import { DatabaseSyscalls } from "./database-syscalls.js";
import { QUERY_STREAM_FINISH } from "./sandbox/convex-global.js";
import type { FileStorage } from "./file-storage.js";
import {
  SyscallError,
  type InvocationKind,
  type SyscallChannel,
  type SyscallReply,
} from "./sandbox/invocation.js";
import { STORAGE_SYSCALLS, storageSyscall } from "./storage-syscalls.js";
import {
  SCHEDULER_SYSCALLS,
  type SchedulerSyscalls,
} from "./scheduler-syscalls.js";
import { calleePath, functionHandleFor } from "./function-handles.js";
import { displayUdfPath } from "./udf-path.js";
import type { UdfType } from "./app-analysis.js";

/** `UserIdentity` as `ctx.auth.getUserIdentity()` returns it (Convex's camelCase fields). */
export type UserIdentity = Readonly<Record<string, JsonValue>>;

/** A function call made by running code (`ctx.runQuery`, `ctx.runMutation`, `ctx.runAction`). */
export interface NestedCall {
  /** Canonical path of the callee. */
  readonly udfPath: string;
  readonly udfType: UdfType;
  /** convex-JSON arguments object. */
  readonly args: JsonValue;
  /** `ctx.runQuery(…, { useStaleSnapshot })` inside a mutation: read the latest snapshot instead. */
  readonly snapshot: boolean;
}

/** What the runner offers the invocations it starts. */
export interface InvocationServices {
  readonly cursors: CursorCodec;
  readonly deploymentName: string;
  /** Backs `ctx.storage`; null when the backend has no file store. */
  readonly storage: FileStorage | null;
  /** `ctx.scheduler` (`scheduler-syscalls.ts`). */
  readonly scheduler: SchedulerSyscalls;
  /** `ctx.vectorSearch` in actions: the `query` argument, answered as the syscall's JSON reply. */
  vectorSearch(query: unknown): Promise<string>;
  /** Nested call from a query or mutation: a sub-transaction of `parent`'s transaction. */
  runNested(parent: HostInvocation, call: NestedCall): Promise<SyscallReply>;
  /** Call from an action: its own transaction (or action). */
  runFromAction(
    parent: HostInvocation,
    call: NestedCall,
  ): Promise<SyscallReply>;
}

export interface InvocationScope {
  /** Canonical path of the running function (`"dir/mod.js:fn"`). */
  readonly udfPath: string;
  readonly kind: InvocationKind;
  /** The transaction of a query or mutation; null for actions. */
  readonly tx: Transaction | null;
  readonly identity: UserIdentity | null;
  /** 0 for a top-level call; +1 per nested call. */
  readonly depth: number;
  readonly requestId: string;
  /** Previous run's journal (reactive pagination), queries only. */
  readonly journal: string | null;
  /** The `_scheduled_functions` job this invocation runs, if any. */
  readonly scheduledJobId?: string | null | undefined;
}

/** Convex's `MAX_REACTOR_CALL_DEPTH`: nested calls deeper than this fail. */
export const MAX_CALL_DEPTH = 8;

const NOT_SUPPORTED_YET = new Set([
  "1.0/signJwt",
  "1.0/createServiceToken",
  "1.0/getServiceUrl",
]);

export class HostInvocation implements SyscallChannel {
  readonly scope: InvocationScope;
  readonly #services: InvocationServices;
  readonly #database: DatabaseSyscalls | null;
  /** Whether the function read `ctx.auth` (a query result shared across identities otherwise). */
  usedAuth = false;
  /** Set when a nested call was lost with its sandbox: the whole invocation must be retried. */
  lost = false;

  constructor(scope: InvocationScope, services: InvocationServices) {
    this.scope = scope;
    this.#services = services;
    this.#database =
      scope.tx === null
        ? null
        : new DatabaseSyscalls(scope.tx, services.cursors, {
            canWrite: scope.kind === "mutation",
            journal: scope.journal,
          });
  }

  /** The end cursor of this run's `.paginate()`, or null. */
  get journal(): string | null {
    return this.#database?.journal ?? null;
  }

  asyncSyscall(op: string, argsJson: string): Promise<SyscallReply> {
    try {
      const args = JSON.parse(argsJson) as Record<string, unknown>;
      const database = this.#database?.handle(op, args);
      const pending = database ?? this.#other(op, args);
      return pending.then(
        (result) => (typeof result === "string" ? { result } : result),
        (error: unknown) => Promise.reject(toSyscallError(error)),
      );
    } catch (e) {
      return Promise.reject(toSyscallError(e));
    }
  }

  syncSyscall(op: string, argsJson: string): string {
    if (op === "1.0/db/normalizeId" && this.#database !== null) {
      return this.#database.normalizeId(
        JSON.parse(argsJson) as Record<string, unknown>,
      );
    }
    throw new SyscallError(`Unknown operation ${op}`);
  }

  notify(op: string, argsJson: string): void {
    if (op === "1.0/queryCleanup") {
      this.#database?.cleanupQuery(
        JSON.parse(argsJson) as Record<string, unknown>,
      );
    } else if (op === QUERY_STREAM_FINISH) {
      this.#database?.finishQuery(
        JSON.parse(argsJson) as Record<string, unknown>,
      );
    }
  }

  /** Releases the invocation's query streams. */
  close(): void {
    this.#database?.close();
  }

  #other(
    op: string,
    args: Record<string, unknown>,
  ): Promise<string | SyscallReply> {
    switch (op) {
      case "1.0/getUserIdentity":
        this.usedAuth = true;
        return Promise.resolve(JSON.stringify(this.scope.identity));
      case "1.0/getFunctionMetadata":
        return Promise.resolve(
          JSON.stringify({
            name: displayUdfPath(this.scope.udfPath),
            componentPath: "",
          }),
        );
      case "1.0/getDeploymentMetadata":
        return Promise.resolve(
          JSON.stringify({
            name: this.#services.deploymentName,
            region: null,
            class: "s16",
          }),
        );
      case "1.0/getRequestMetadata":
        return this.#requestMetadata();
      case "1.0/auditLog":
        return Promise.resolve("null");
      case "1.0/runUdf":
        return this.#runUdf(args);
      case "1.0/createFunctionHandle":
        return Promise.resolve(
          JSON.stringify(functionHandleFor(calleePath(args))),
        );
      case "1.0/actions/vectorSearch":
        return this.scope.kind === "action"
          ? this.#services.vectorSearch(args["query"])
          : Promise.reject(
              new Error("vectorSearch is only available in actions."),
            );
      case "1.0/actions/query":
      case "1.0/actions/mutation":
      case "1.0/actions/action":
        return this.#runFromAction(
          op.slice("1.0/actions/".length) as UdfType,
          args,
        );
      default:
        if (SCHEDULER_SYSCALLS.has(op)) {
          return this.#services.scheduler.handle(this.scope, op, args);
        }
        if (STORAGE_SYSCALLS.has(op)) {
          return storageSyscall(this.#services.storage, this.scope, op, args);
        }
        if (NOT_SUPPORTED_YET.has(op)) {
          return Promise.reject(
            new Error(`${op} is not supported by this backend yet.`),
          );
        }
        return Promise.reject(new Error(`Unknown async operation ${op}`));
    }
  }

  #requestMetadata(): Promise<string> {
    if (this.scope.kind === "query") {
      return Promise.reject(
        new Error("getRequestMetadata is not supported in queries."),
      );
    }
    return Promise.resolve(
      JSON.stringify({
        ip: null,
        userAgent: null,
        requestId: this.scope.requestId,
        scheduledFunctionId: this.scope.scheduledJobId ?? null,
        authToken: null,
      }),
    );
  }

  #runUdf(args: Record<string, unknown>): Promise<SyscallReply> {
    if (this.scope.tx === null) {
      return Promise.reject(new Error("Unknown async operation 1.0/runUdf"));
    }
    const udfType = args["udfType"];
    if (
      udfType !== "query" &&
      udfType !== "mutation" &&
      udfType !== "snapshotQuery"
    ) {
      return Promise.reject(new Error(`Invalid udfType ${String(udfType)}`));
    }
    return this.#services.runNested(this, {
      udfPath: calleePath(args),
      udfType: udfType === "snapshotQuery" ? "query" : udfType,
      args: (args["args"] ?? {}) as JsonValue,
      snapshot: udfType === "snapshotQuery",
    });
  }

  #runFromAction(
    udfType: UdfType,
    args: Record<string, unknown>,
  ): Promise<SyscallReply> {
    if (this.scope.kind !== "action" && this.scope.kind !== "httpAction") {
      return Promise.reject(
        new Error(`Unknown async operation 1.0/actions/${udfType}`),
      );
    }
    return this.#services.runFromAction(this, {
      udfPath: calleePath(args),
      udfType,
      args: (args["args"] ?? {}) as JsonValue,
      snapshot: false,
    });
  }
}

function toSyscallError(error: unknown): SyscallError {
  if (error instanceof SyscallError) return error;
  if (isBackendError(error) || error instanceof Error)
    return new SyscallError(error.message);
  return new SyscallError(String(error));
}
