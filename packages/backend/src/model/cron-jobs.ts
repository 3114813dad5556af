/**
 * The `_cron_jobs` system table: the deployed `crons.ts` jobs and where each one stands
 * (`prevTs`, `nextTs`). `syncCronJobs` brings the table in line with a deployment's crons in one
 * transaction; the scheduler advances `nextTs` in the same transaction as each run (mutations) or
 * before it (actions), so a slot never runs twice.
 */
import { BackendError } from "../errors/backend-error.js";
import type { Transaction } from "../engine/transaction.js";
import { convexToJson, jsonToConvex } from "../values/json.js";
import type { Document, JsonValue, ObjectValue } from "../values/value.js";
import {
  compileCronSchedule,
  firstCronRun,
  nextCronRun,
  parseCronSchedule,
  type CronTimetable,
} from "./cron-schedule.js";
import { stringField } from "./scheduled-jobs.js";

/** The system table holding cron jobs. */
export const CRON_JOBS_TABLE = "_cron_jobs";

/** One cron job as `crons.export()` writes it (`args` is a one-element array of convex-JSON). */
export interface CronJobSpec {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly schedule: Readonly<Record<string, unknown>>;
}

/** One stored cron job. */
export interface CronJob {
  readonly id: string;
  /** The identifier given to `crons.interval(...)` and friends. */
  readonly name: string;
  /** The function, as `crons.ts` named it (`"dir/mod:fn"`). */
  readonly udfPath: string;
  readonly args: ObjectValue;
  /** The schedule JSON, as exported. */
  readonly schedule: Readonly<Record<string, unknown>>;
  /** The slot of the last run, ms; null before the first. */
  readonly prevTs: number | null;
  /** The next slot to run, ms. */
  readonly nextTs: number;
  /** `inProgress` while an action run started before a restart may still be going. */
  readonly state: "pending" | "inProgress";
}

const IDENTIFIER = /^[ -~]*$/;

/**
 * Checks every job of a push's crons (schedule shape and identifier) with Convex's messages, so a
 * bad `crons.ts` fails the push before anything is written.
 */
export function validateCronSpecs(
  crons: Readonly<Record<string, CronJobSpec>> | null,
): void {
  for (const [identifier, spec] of Object.entries(crons ?? {})) {
    if (!IDENTIFIER.test(identifier)) {
      throw new BackendError(
        "BadRequest",
        "InvalidCronIdentifier",
        `Cron job identifier "${identifier}" must contain only printable ASCII characters.`,
      );
    }
    parseCronSchedule(spec.schedule);
  }
}

/** The timetable of a stored job. */
export function timetableOf(job: CronJob): CronTimetable {
  return compileCronSchedule(parseCronSchedule(job.schedule), job.name);
}

/**
 * Brings `_cron_jobs` in line with `crons` inside `tx`: new jobs get their first run, a changed
 * schedule is recomputed from the previous run, a changed function or args keeps its `nextTs`,
 * removed jobs are deleted. Unchanged jobs are not written, so this is idempotent.
 */
export async function syncCronJobs(
  tx: Transaction,
  crons: Readonly<Record<string, CronJobSpec>> | null,
  nowMs: number,
): Promise<void> {
  validateCronSpecs(crons);
  const existing = new Map(
    (await listCronJobs(tx)).map((job) => [job.name, job]),
  );
  const options = { table: CRON_JOBS_TABLE, isSystem: true };
  for (const [name, spec] of Object.entries(crons ?? {})) {
    const args = specArgs(spec);
    const schedule = { ...spec.schedule } as ObjectValue;
    const timetable = compileCronSchedule(
      parseCronSchedule(spec.schedule),
      name,
    );
    const old = existing.get(name);
    existing.delete(name);
    if (old === undefined) {
      await tx.insert(
        CRON_JOBS_TABLE,
        {
          name,
          udfPath: spec.name,
          args: [args],
          schedule,
          prevTs: null,
          nextTs: firstCronRun(timetable, nowMs),
          state: "pending",
        },
        { isSystem: true },
      );
      continue;
    }
    const scheduleChanged =
      JSON.stringify(old.schedule) !== JSON.stringify(spec.schedule);
    const targetChanged =
      old.udfPath !== spec.name ||
      JSON.stringify(convexToJson(old.args)) !==
        JSON.stringify(convexToJson(args));
    if (!scheduleChanged && !targetChanged) continue;
    await tx.patch(
      old.id,
      {
        udfPath: spec.name,
        args: [args],
        schedule,
        ...(scheduleChanged
          ? {
              nextTs:
                old.prevTs === null
                  ? firstCronRun(timetable, nowMs)
                  : nextCronRun(timetable, old.prevTs),
            }
          : {}),
      },
      options,
    );
  }
  for (const removed of existing.values()) {
    await tx.delete(removed.id, options);
  }
}

/** Every stored cron job. */
export async function listCronJobs(tx: Transaction): Promise<CronJob[]> {
  const stream = tx.query({
    source: { type: "FullTableScan", tableName: CRON_JOBS_TABLE, order: "asc" },
    operators: [],
  });
  const jobs: CronJob[] = [];
  try {
    for (
      let doc = await stream.next();
      doc !== null;
      doc = await stream.next()
    ) {
      jobs.push(decodeCronJob(doc));
    }
  } finally {
    stream.close();
  }
  return jobs;
}

/** Reads one cron job by id in `tx`, or null when it was removed. */
export async function getCronJob(
  tx: Transaction,
  id: string,
): Promise<CronJob | null> {
  const doc = await tx.get(id, { table: CRON_JOBS_TABLE, isSystem: true });
  return doc === null ? null : decodeCronJob(doc);
}

/** Writes a job's run bookkeeping in `tx`. */
export async function updateCronRun(
  tx: Transaction,
  id: string,
  fields: { prevTs?: number; nextTs?: number; state?: CronJob["state"] },
): Promise<void> {
  await tx.patch(id, { ...fields }, { table: CRON_JOBS_TABLE, isSystem: true });
}

/** Decodes a `_cron_jobs` document. */
export function decodeCronJob(doc: Document): CronJob {
  const args = doc["args"];
  const first = Array.isArray(args) ? args[0] : undefined;
  const prevTs = doc["prevTs"];
  return {
    id: doc._id,
    name: stringField(doc, "name"),
    udfPath: stringField(doc, "udfPath"),
    args:
      typeof first === "object" && first !== null && !Array.isArray(first)
        ? (first as ObjectValue)
        : {},
    schedule: doc["schedule"] as unknown as Record<string, unknown>,
    prevTs: typeof prevTs === "number" ? prevTs : null,
    nextTs: Number(doc["nextTs"]),
    state: doc["state"] === "inProgress" ? "inProgress" : "pending",
  };
}

function specArgs(spec: CronJobSpec): ObjectValue {
  const first = spec.args[0];
  if (first === undefined) return {};
  const value = jsonToConvex(first as JsonValue);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BackendError(
      "BadRequest",
      "InvalidCronArgs",
      `The arguments of cron job "${spec.name}" must be an object.`,
    );
  }
  return value as ObjectValue;
}
