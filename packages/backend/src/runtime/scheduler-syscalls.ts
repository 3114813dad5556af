/**
 * The host half of `ctx.scheduler`: `1.0/schedule` and `1.0/cancel_job` from mutations (inside
 * the mutation's transaction, so a job exists only if the mutation commits) and their
 * `1.0/actions/…` variants from actions and HTTP actions (a transaction of their own). The
 * target is resolved and its arguments validated when scheduling, as Convex does.
 */
import type { Database } from "../engine/database.js";
import type { Transaction } from "../engine/transaction.js";
import { cancelJob, scheduleJob } from "../model/scheduled-jobs.js";
import type { Clock } from "../shared/clock.js";
import type { JsonValue, ObjectValue } from "../values/value.js";
import type { Deployment } from "./deployment.js";
import type { InvocationKind } from "./sandbox/invocation.js";
import { decodeArgs } from "./udf-resolution.js";
import { calleePath } from "./function-handles.js";
import { displayUdfPath } from "./udf-path.js";
import { catalogValidationContext, checkArgs } from "./validation.js";

/** The syscalls {@link SchedulerSyscalls.handle} answers. */
export const SCHEDULER_SYSCALLS: ReadonlySet<string> = new Set([
  "1.0/schedule",
  "1.0/cancel_job",
  "1.0/actions/schedule",
  "1.0/actions/cancel_job",
]);

/** What the scheduler syscalls need to know about the calling invocation. */
export interface SchedulerSyscallScope {
  readonly kind: InvocationKind;
  readonly tx: Transaction | null;
  /** The scheduled job this invocation runs, if any (a mutation cannot cancel itself). */
  readonly scheduledJobId?: string | null | undefined;
}

/** Scheduling against one deployment (its function table validates targets). */
export class SchedulerSyscalls {
  readonly #deployment: Deployment;
  readonly #database: Database;
  readonly #clock: Clock;

  constructor(deployment: Deployment, database: Database, clock: Clock) {
    this.#deployment = deployment;
    this.#database = database;
    this.#clock = clock;
  }

  /** Answers one scheduler syscall with its JSON text. */
  async handle(
    scope: SchedulerSyscallScope,
    op: string,
    args: Record<string, unknown>,
  ): Promise<string> {
    const fromAction = op.startsWith("1.0/actions/");
    const allowed = fromAction
      ? scope.kind === "action" || scope.kind === "httpAction"
      : scope.kind === "mutation" && scope.tx !== null;
    if (!allowed) throw new Error(`Unknown async operation ${op}`);
    const inTransaction = <T>(fn: (tx: Transaction) => Promise<T>) =>
      scope.tx !== null && !fromAction
        ? fn(scope.tx)
        : this.#database.runInTransaction(fn).then((r) => r.value);
    if (op.endsWith("/schedule")) {
      return JSON.stringify(await this.#schedule(args, inTransaction));
    }
    const id = args["id"];
    if (typeof id !== "string") throw new Error("cancel expects a job id.");
    await inTransaction((tx) =>
      cancelJob(tx, id, {
        nowMs: this.#clock.now(),
        runningJobId: fromAction ? null : (scope.scheduledJobId ?? null),
      }),
    );
    return "null";
  }

  async #schedule(
    args: Record<string, unknown>,
    inTransaction: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>,
  ): Promise<string> {
    const path = calleePath(args);
    const ts = args["ts"];
    if (typeof ts !== "number" || !Number.isFinite(ts)) {
      throw new Error("The scheduled time must be a finite number.");
    }
    const fn = this.#deployment.lookup(path);
    if (fn === undefined) {
      throw new Error(
        `Attempted to schedule function at nonexistent path: ${displayUdfPath(path)}`,
      );
    }
    if (fn.analyzed.udfType === "query") {
      throw new Error(
        `Attempted to schedule function ${displayUdfPath(path)}, which is a query. Only mutations and actions can be scheduled.`,
      );
    }
    const decoded = decodeArgs((args["args"] ?? {}) as JsonValue);
    if (typeof decoded === "string") throw new Error(decoded);
    return inTransaction(async (tx) => {
      const error = checkArgs(
        fn.validators,
        decoded.value,
        catalogValidationContext(() => tx.catalog),
      );
      if (error !== null) throw new Error(error);
      return scheduleJob(tx, {
        name: fn.path,
        args: decoded.value as ObjectValue,
        scheduledTime: ts * 1000,
      });
    });
  }
}
