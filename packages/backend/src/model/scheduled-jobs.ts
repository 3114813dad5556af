/**
 * The `_scheduled_functions` system table: what `ctx.scheduler` writes and what
 * `ctx.db.system` shows. Every function here works inside the caller's transaction, so a job
 * scheduled by a mutation exists only if that mutation commits, and a job's state change is
 * atomic with whatever else the transaction writes.
 */
import { BackendError } from "../errors/backend-error.js";
import type { Transaction } from "../engine/transaction.js";
import { getValueSize } from "../values/size.js";
import type { Document, ObjectValue, Value } from "../values/value.js";

/** The system table holding scheduled jobs (Convex's virtual `_scheduled_functions`). */
export const SCHEDULED_FUNCTIONS_TABLE = "_scheduled_functions";

/** Convex's limit on jobs scheduled by one transaction. */
export const MAX_JOBS_PER_TRANSACTION = 1000;
/** Convex's limit on the total argument size scheduled by one transaction. */
export const MAX_SCHEDULED_ARGS_BYTES = 16 * 1024 * 1024;

/** A job's state, as `_scheduled_functions.state` holds it. */
export type ScheduledJobState =
  | { readonly kind: "pending" | "inProgress" | "success" | "canceled" }
  | { readonly kind: "failed"; readonly error: string };

/** One scheduled job, decoded from its document. */
export interface ScheduledJob {
  readonly id: string;
  /** Canonical udf path, `"dir/mod.js:fn"`. */
  readonly name: string;
  /** The one argument object (the document stores `[args]`). */
  readonly args: ObjectValue;
  /** When the job is due, ms since the epoch. */
  readonly scheduledTime: number;
  readonly completedTime?: number;
  readonly state: ScheduledJobState;
}

/** Thrown when a job is no longer pending (or in progress) at the transaction's snapshot. */
export class JobNotPending extends Error {
  override readonly name = "JobNotPending";
}

/** Per-transaction counters for the scheduling limits. */
const scheduledByTransaction = new WeakMap<
  Transaction,
  { jobs: number; bytes: number }
>();

/**
 * Inserts a pending job in `tx`. The caller has validated `args` against the target's
 * validator. Enforces the per-transaction limits with Convex's messages.
 * @returns the job's `_scheduled_functions` id.
 */
export async function scheduleJob(
  tx: Transaction,
  job: { name: string; args: ObjectValue; scheduledTime: number },
): Promise<string> {
  if (!Number.isFinite(job.scheduledTime)) {
    throw new BackendError(
      "BadRequest",
      "InvalidScheduledTime",
      "The scheduled time must be a finite number.",
    );
  }
  const counters = scheduledByTransaction.get(tx) ?? { jobs: 0, bytes: 0 };
  const bytes = getValueSize(job.args);
  if (counters.jobs + 1 > MAX_JOBS_PER_TRANSACTION) {
    throw new BackendError(
      "BadRequest",
      "TooManyFunctionsScheduled",
      `Too many functions scheduled by this mutation (limit: ${MAX_JOBS_PER_TRANSACTION})`,
    );
  }
  if (counters.bytes + bytes > MAX_SCHEDULED_ARGS_BYTES) {
    throw new BackendError(
      "BadRequest",
      "ScheduledFunctionsArgumentsTooLarge",
      `Too large total size of the arguments of scheduled functions from this mutation (limit: ${MAX_SCHEDULED_ARGS_BYTES} bytes)`,
    );
  }
  const id = await tx.insert(
    SCHEDULED_FUNCTIONS_TABLE,
    {
      name: job.name,
      args: [job.args],
      scheduledTime: job.scheduledTime,
      state: { kind: "pending" },
    },
    { isSystem: true },
  );
  scheduledByTransaction.set(tx, {
    jobs: counters.jobs + 1,
    bytes: counters.bytes + bytes,
  });
  return id;
}

/** Reads one job in `tx`, or null when `id` is not a scheduled job. */
export async function getScheduledJob(
  tx: Transaction,
  id: string,
): Promise<ScheduledJob | null> {
  const normalized = tx.normalizeId(SCHEDULED_FUNCTIONS_TABLE, id);
  if (normalized === null) return null;
  const doc = await tx.get(normalized, {
    table: SCHEDULED_FUNCTIONS_TABLE,
    isSystem: true,
  });
  return doc === null ? null : decodeScheduledJob(doc);
}

/**
 * Cancels a pending or in-progress job (Convex marks both `canceled`); a finished job is left
 * alone. `runningJobId` is the job whose mutation is calling: it cannot cancel itself.
 */
export async function cancelJob(
  tx: Transaction,
  id: string,
  options: { nowMs: number; runningJobId: string | null },
): Promise<void> {
  const job = await getScheduledJob(tx, id);
  if (job === null) {
    throw new BackendError(
      "BadRequest",
      "InvalidScheduledFunctionId",
      `Invalid scheduled function id: ${id}`,
    );
  }
  if (options.runningJobId !== null && job.id === options.runningJobId) {
    throw new BackendError(
      "BadRequest",
      "CannotCancelSelf",
      "A mutation cannot cancel itself",
    );
  }
  if (job.state.kind !== "pending" && job.state.kind !== "inProgress") return;
  await setJobState(tx, job.id, { kind: "canceled" }, options.nowMs);
}

/**
 * Moves a job to `state` in `tx`, requiring its current state to be one of `from` (throws
 * `JobNotPending` otherwise, so the caller aborts). Final states also set `completedTime`.
 */
export async function transitionJob(
  tx: Transaction,
  id: string,
  from: readonly ScheduledJobState["kind"][],
  state: ScheduledJobState,
  nowMs: number,
): Promise<void> {
  const job = await getScheduledJob(tx, id);
  if (job === null || !from.includes(job.state.kind)) {
    throw new JobNotPending(`Scheduled job ${id} is not ${from.join(" or ")}`);
  }
  await setJobState(tx, id, state, nowMs);
}

async function setJobState(
  tx: Transaction,
  id: string,
  state: ScheduledJobState,
  nowMs: number,
): Promise<void> {
  const final = state.kind !== "pending" && state.kind !== "inProgress";
  await tx.patch(
    id,
    final
      ? { state: { ...state }, completedTime: nowMs }
      : { state: { ...state } },
    { table: SCHEDULED_FUNCTIONS_TABLE, isSystem: true },
  );
}

/** Every job in `tx` whose state is one of `states` (all jobs without), oldest first. */
export async function listScheduledJobs(
  tx: Transaction,
  states?: readonly ScheduledJobState["kind"][],
): Promise<ScheduledJob[]> {
  const stream = tx.query({
    source: {
      type: "FullTableScan",
      tableName: SCHEDULED_FUNCTIONS_TABLE,
      order: "asc",
    },
    operators: [],
  });
  const jobs: ScheduledJob[] = [];
  try {
    for (
      let doc = await stream.next();
      doc !== null;
      doc = await stream.next()
    ) {
      const job = decodeScheduledJob(doc);
      if (states === undefined || states.includes(job.state.kind))
        jobs.push(job);
    }
  } finally {
    stream.close();
  }
  return jobs;
}

/** Ids of finished jobs (success, failed, canceled) completed before `beforeMs`. */
export async function finishedJobsBefore(
  tx: Transaction,
  beforeMs: number,
): Promise<string[]> {
  const jobs = await listScheduledJobs(tx, ["success", "failed", "canceled"]);
  return jobs
    .filter((job) => (job.completedTime ?? Infinity) < beforeMs)
    .map((job) => job.id);
}

/** Deletes finished jobs by id in `tx` (ids of `finishedJobsBefore`). */
export async function deleteJobs(
  tx: Transaction,
  ids: readonly string[],
): Promise<void> {
  for (const id of ids) {
    await tx.delete(id, { table: SCHEDULED_FUNCTIONS_TABLE, isSystem: true });
  }
}

/** Decodes a `_scheduled_functions` document. */
export function decodeScheduledJob(doc: Document): ScheduledJob {
  const args = doc["args"];
  const first: Value | undefined = Array.isArray(args) ? args[0] : undefined;
  const state = doc["state"] as unknown as ScheduledJobState;
  const completed = doc["completedTime"];
  return {
    id: doc._id,
    name: stringField(doc, "name"),
    args: isObject(first) ? first : {},
    scheduledTime: Number(doc["scheduledTime"]),
    ...(typeof completed === "number" ? { completedTime: completed } : {}),
    state,
  };
}

function isObject(value: Value | undefined): value is ObjectValue {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer)
  );
}

/** A string field of a system document ("" when missing, which a well-formed one never is). */
export function stringField(doc: Document, key: string): string {
  const value = doc[key];
  return typeof value === "string" ? value : "";
}
