/**
 * When a cron job of `crons.ts` runs: the schedule shapes `cronJobs()` exports (convex-js
 * `server/cron.ts`), validated, and the arithmetic of its run times, in UTC.
 *
 * Semantics follow convex-backend (`crates/model/src/cron_jobs/next_ts.rs`, `types.rs` and
 * `crates/application/src/cron_jobs/mod.rs`):
 * - `hourly`, `daily`, `weekly` and `monthly` are the cron strings `m * * * *`, `m h * * *`,
 *   `m h * * dow` and `m h day * *`, so `monthly` on day 31 skips shorter months.
 * - An interval job first runs when it is deployed ("The first run occurs when the cron job is
 *   first deployed", docs `scheduling/cron-jobs.mdx`), then every period after the previous
 *   scheduled run. Every other schedule first runs at its next matching minute.
 * - After a run, slots that already passed are skipped: a job that was due while the server was
 *   down runs once when it is back, then continues at the first slot not in the past
 *   ({@link cronSlotsMissed}).
 * - `minuteUTC` may be omitted (convex 1.48): the minute is then derived from the job's
 *   identifier, so it is stable across deploys and restarts and spreads jobs over the hour.
 */
import { createHash } from "node:crypto";
import { BackendError } from "../errors/backend-error.js";
import {
  nextCronMatch,
  parseCronExpression,
  type CronExpression,
} from "./cron-expression.js";

export const DAYS_OF_WEEK = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** A schedule as `crons.export()` writes it (the `schedule` field of each job). */
export type CronSchedule =
  | {
      readonly type: "interval";
      readonly seconds?: number;
      readonly minutes?: number;
      readonly hours?: number;
    }
  | { readonly type: "hourly"; readonly minuteUTC?: number }
  | {
      readonly type: "daily";
      readonly hourUTC: number;
      readonly minuteUTC?: number;
    }
  | {
      readonly type: "weekly";
      readonly dayOfWeek: DayOfWeek;
      readonly hourUTC: number;
      readonly minuteUTC?: number;
    }
  | {
      readonly type: "monthly";
      readonly day: number;
      readonly hourUTC: number;
      readonly minuteUTC?: number;
    }
  | { readonly type: "cron"; readonly cron: string };

/** A schedule ready for arithmetic: a fixed period, or a cron expression. */
export type CronTimetable =
  | { readonly type: "interval"; readonly periodMs: number }
  | { readonly type: "expression"; readonly expression: CronExpression };

function invalidSchedule(message: string): BackendError {
  return new BackendError("BadRequest", "InvalidCronSchedule", message);
}

/**
 * Validates one job's `schedule` from `crons.export()` JSON. Throws `BackendError`
 * (`BadRequest`, `InvalidCronSchedule` or `InvalidCronExpression`) with Convex's wording.
 */
export function parseCronSchedule(json: unknown): CronSchedule {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidSchedule(
      "A cron schedule must be an object with a `type` field.",
    );
  }
  const schedule = json as Record<string, unknown>;
  switch (schedule.type) {
    case "interval":
      return parseInterval(schedule);
    case "hourly":
      return withMinute({ type: "hourly" }, schedule);
    case "daily":
      return withMinute({ type: "daily", hourUTC: hourOf(schedule) }, schedule);
    case "weekly":
      return withMinute(
        {
          type: "weekly",
          dayOfWeek: dayOfWeekOf(schedule),
          hourUTC: hourOf(schedule),
        },
        schedule,
      );
    case "monthly":
      return withMinute(
        {
          type: "monthly",
          day: dayOfMonthOf(schedule),
          hourUTC: hourOf(schedule),
        },
        schedule,
      );
    case "cron": {
      if (typeof schedule.cron !== "string")
        throw invalidSchedule("A cron schedule needs a `cron` string.");
      parseCronExpression(schedule.cron);
      return { type: "cron", cron: schedule.cron };
    }
    default:
      throw invalidSchedule(
        `Unknown cron schedule type ${JSON.stringify(schedule.type)}.`,
      );
  }
}

function parseInterval(schedule: Record<string, unknown>): CronSchedule {
  const units = (["seconds", "minutes", "hours"] as const).filter(
    (u) => schedule[u] !== undefined,
  );
  const unit = units[0];
  if (units.length !== 1 || unit === undefined) {
    throw invalidSchedule(
      "Exactly one of (seconds, minutes, hours) should be specified",
    );
  }
  const value = schedule[unit];
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw invalidSchedule("Interval must be an integer greater than 0");
  }
  if (unit === "seconds") return { type: "interval", seconds: value };
  if (unit === "minutes") return { type: "interval", minutes: value };
  return { type: "interval", hours: value };
}

function withMinute<T extends CronSchedule>(
  base: T,
  schedule: Record<string, unknown>,
): T {
  if (schedule.minuteUTC === undefined) return base;
  const minuteUTC = integerIn(
    schedule.minuteUTC,
    0,
    59,
    "minuteUTC must be 0-59",
  );
  return { ...base, minuteUTC };
}

function hourOf(schedule: Record<string, unknown>): number {
  return integerIn(schedule.hourUTC, 0, 23, "hourUTC must be 0-23");
}

function dayOfMonthOf(schedule: Record<string, unknown>): number {
  return integerIn(schedule.day, 1, 31, "day of month must be 1-31");
}

function dayOfWeekOf(schedule: Record<string, unknown>): DayOfWeek {
  const day = DAYS_OF_WEEK.find((d) => d === schedule.dayOfWeek);
  if (day === undefined)
    throw invalidSchedule('Day of week must be a string like "monday".');
  return day;
}

function integerIn(
  value: unknown,
  min: number,
  max: number,
  message: string,
): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < min ||
    value > max
  ) {
    throw invalidSchedule(`${message}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The minute past the hour used when a schedule omits `minuteUTC`: the first 32 bits of the
 * SHA-256 of the job identifier, modulo 60. Deterministic, so every process and every restart
 * agrees on it.
 */
export function stableMinuteFor(identifier: string): number {
  return (
    createHash("sha256").update(identifier, "utf8").digest().readUInt32BE(0) %
    60
  );
}

/**
 * Turns a validated schedule into a {@link CronTimetable}. `identifier` is the job's name in
 * `crons.ts`, used only when `minuteUTC` is omitted.
 */
export function compileCronSchedule(
  schedule: CronSchedule,
  identifier: string,
): CronTimetable {
  if (schedule.type === "interval") {
    const seconds =
      (schedule.seconds ?? 0) +
      (schedule.minutes ?? 0) * 60 +
      (schedule.hours ?? 0) * 3600;
    return { type: "interval", periodMs: seconds * 1000 };
  }
  if (schedule.type === "cron")
    return {
      type: "expression",
      expression: parseCronExpression(schedule.cron),
    };
  const minute = schedule.minuteUTC ?? stableMinuteFor(identifier);
  const source =
    schedule.type === "hourly"
      ? `${minute} * * * *`
      : schedule.type === "daily"
        ? `${minute} ${schedule.hourUTC} * * *`
        : schedule.type === "weekly"
          ? `${minute} ${schedule.hourUTC} * * ${DAYS_OF_WEEK.indexOf(schedule.dayOfWeek)}`
          : `${minute} ${schedule.hourUTC} ${schedule.day} * *`;
  return { type: "expression", expression: parseCronExpression(source) };
}

/**
 * When a newly registered job first runs: at `nowMs` for an interval (Convex runs interval jobs
 * at deploy), otherwise at the first matching minute after `nowMs`.
 */
export function firstCronRun(timetable: CronTimetable, nowMs: number): number {
  return timetable.type === "interval"
    ? nowMs
    : nextCronMatch(timetable.expression, nowMs);
}

/**
 * The slot after `afterMs`: `afterMs` plus the period for an interval (pass the previous
 * scheduled time, not the completion time, so runs do not drift), otherwise the first matching
 * whole minute strictly after the minute containing `afterMs`.
 */
export function nextCronRun(timetable: CronTimetable, afterMs: number): number {
  return timetable.type === "interval"
    ? afterMs + timetable.periodMs
    : nextCronMatch(timetable.expression, afterMs);
}

/**
 * Counting skipped slots of a cron expression stops here; a per-minute job down for a month would
 * otherwise walk 43 200 slots just to report a number.
 */
export const MAX_COUNTED_SKIPPED_SLOTS = 10_000;

/** Where a job goes after a run: its next slot, and how many slots it skipped to get there. */
export interface CronCatchUp {
  /** The first slot after the run that is not before now: the job's next `nextTs`. */
  readonly nextSlotMs: number;
  /**
   * Slots between the run and now that will not run (for the log line "skipping N runs"); at
   * most {@link MAX_COUNTED_SKIPPED_SLOTS} for cron expressions.
   */
  readonly skippedSlots: number;
}

/**
 * The next slot of a job after the run of slot `ranSlotMs`, computed when that run finishes at
 * `nowMs`: slots that passed meanwhile (a slow run, or the server being down) are skipped, so a
 * job never runs twice to catch up, and a slot exactly at `nowMs` is kept. This is Convex's rule
 * (`complete_job_run`: `while next_ts < now { skip }`).
 *
 * Together with storing one `nextTs` per job it gives the restart behaviour: a job whose `nextTs`
 * passed while the server was down is due once when it comes back, and after that run this
 * function moves it to the first future slot.
 */
export function cronSlotsMissed(
  timetable: CronTimetable,
  ranSlotMs: number,
  nowMs: number,
): CronCatchUp {
  const next = nextCronRun(timetable, ranSlotMs);
  if (next >= nowMs) return { nextSlotMs: next, skippedSlots: 0 };
  if (timetable.type === "interval") {
    const steps = Math.ceil((nowMs - next) / timetable.periodMs);
    return {
      nextSlotMs: next + steps * timetable.periodMs,
      skippedSlots: steps,
    };
  }
  let skipped = 1;
  let following = nextCronRun(timetable, next);
  while (following < nowMs && skipped < MAX_COUNTED_SKIPPED_SLOTS) {
    skipped += 1;
    following = nextCronRun(timetable, following);
  }
  if (following < nowMs)
    following = nextCronMatch(timetable.expression, nowMs - 1);
  return { nextSlotMs: following, skippedSlots: skipped };
}
