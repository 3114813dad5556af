/**
 * Five-field UTC cron expressions, with the syntax and semantics of the parser Convex uses for
 * `crons.cron()` (cloudflare/saffron, a "Quartz-like" parser), so a string Convex accepts runs at
 * the same minutes here:
 *
 * ```
 * minute  hour  day-of-month  month  day-of-week
 * 0-59    0-23  1-31          1-12   0-6 (0 = Sunday)
 *                             JAN-DEC SUN-SAT (any case)
 * ```
 *
 * - Each field is `*` or a comma list of `v`, `a-b`, `a-b/s`, `a/s` (from `a` to the maximum) and
 *   `*\/s`. A range whose start is after its end wraps around (`FRI-MON`, `22-2`). A step is at
 *   least 1 and at most the field's span (59 for minutes, 23 hours, 30 days, 11 months, 6 weekdays).
 * - Day of week is 0-6 only: Convex rejects `7` (its own test, `"0 12 * * 7"`).
 * - Day of month also takes `L` (last day), `L-n` (n days before it), `LW` (last weekday), `L-nW`
 *   and `nW` (the weekday nearest to day n, never leaving the month). Day of week also takes `dL`
 *   (the last such weekday of the month), `d#n` (the n-th, 1-5) and `L` alone (Saturday).
 * - When both day fields are restricted a day matches if either matches (Vixie cron's OR rule);
 *   when one is `*` only the other applies.
 *
 * Sources: convex-backend `crates/model/src/cron_jobs/next_ts.rs` (the schedule → cron mapping
 * and its tests), cloudflare/saffron `saffron/src/parse.rs` and `lib.rs` (the grammar).
 */
import { BackendError } from "../errors/backend-error.js";

export type DayOfMonthRule =
  | { readonly type: "any" }
  | { readonly type: "days"; readonly days: readonly boolean[] }
  | {
      readonly type: "last";
      readonly offset: number;
      readonly weekday: boolean;
    }
  | { readonly type: "nearestWeekday"; readonly day: number };

export type DayOfWeekRule =
  | { readonly type: "any" }
  | { readonly type: "weekdays"; readonly weekdays: readonly boolean[] }
  | { readonly type: "lastOfMonth"; readonly weekday: number }
  | { readonly type: "nth"; readonly weekday: number; readonly nth: number };

/** A parsed cron expression. Create with {@link parseCronExpression}. */
export interface CronExpression {
  readonly source: string;
  /** Index = minute 0-59. */
  readonly minutes: readonly boolean[];
  /** Index = hour 0-23. */
  readonly hours: readonly boolean[];
  readonly daysOfMonth: DayOfMonthRule;
  /** Index = month 1-12 (index 0 unused). */
  readonly months: readonly boolean[];
  readonly daysOfWeek: DayOfWeekRule;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[] | undefined;
}

const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: "day of month", min: 1, max: 31 };
const MONTH_NAMES = [
  "JAN",
  "FEB",
  "MAR",
  "APR",
  "MAY",
  "JUN",
  "JUL",
  "AUG",
  "SEP",
  "OCT",
  "NOV",
  "DEC",
];
const MONTH: FieldSpec = {
  name: "month",
  min: 1,
  max: 12,
  names: ["", ...MONTH_NAMES],
};
const WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const DAY_OF_WEEK: FieldSpec = {
  name: "day of week",
  min: 0,
  max: 6,
  names: WEEKDAY_NAMES,
};

/** The longest each month can be (February in a leap year), index = month 1-12. */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function invalid(source: string, reason: string): BackendError {
  return new BackendError(
    "BadRequest",
    "InvalidCronExpression",
    `Invalid cron expression "${source}": ${reason}. Expected five space-separated UTC fields: minute hour day-of-month month day-of-week.`,
  );
}

/**
 * Parses a five-field cron string. Throws `BackendError` (`BadRequest`, `InvalidCronExpression`)
 * naming the offending field when the string is malformed, out of range, or can never match
 * (such as `0 0 30 2 *`).
 */
export function parseCronExpression(source: string): CronExpression {
  const fields = source.trim().split(/[ \t]+/);
  if (fields.length !== 5) {
    throw invalid(
      source,
      `found ${fields.length} field${fields.length === 1 ? "" : "s"}`,
    );
  }
  const [minute, hour, dom, month, dow] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  const expression: CronExpression = {
    source,
    minutes: parseListField(source, minute, MINUTE),
    hours: parseListField(source, hour, HOUR),
    daysOfMonth: parseDayOfMonth(source, dom),
    months: parseListField(source, month, MONTH),
    daysOfWeek: parseDayOfWeek(source, dow),
  };
  assertCanMatch(expression);
  return expression;
}

function parseListField(
  source: string,
  text: string,
  spec: FieldSpec,
): boolean[] {
  const set = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(",")) addItem(source, item, spec, set);
  return set;
}

function addItem(
  source: string,
  item: string,
  spec: FieldSpec,
  set: boolean[],
): void {
  const match = /^([^-/]+)(?:-([^-/]+))?(?:\/(\d+))?$/.exec(item);
  if (match === null)
    throw invalid(source, `"${item}" is not a valid ${spec.name} item`);
  const [, startText, endText, stepText] = match as unknown as [
    string,
    string,
    string?,
    string?,
  ];
  const star = startText === "*";
  if (star && endText !== undefined) {
    throw invalid(source, `"${item}" is not a valid ${spec.name} item`);
  }
  const start = star ? spec.min : parseValue(source, startText, spec);
  const end =
    endText !== undefined
      ? parseValue(source, endText, spec)
      : star || stepText !== undefined
        ? spec.max
        : start;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1 || step > spec.max - spec.min) {
    throw invalid(
      source,
      `step ${stepText} is out of range for ${spec.name} (1-${spec.max - spec.min})`,
    );
  }
  for (const value of rangeValues(start, end, spec).filter(
    (_, i) => i % step === 0,
  )) {
    set[value] = true;
  }
}

/** `start` to `end` inclusive; past the maximum it wraps to the minimum (saffron's `FRI-MON`). */
function rangeValues(start: number, end: number, spec: FieldSpec): number[] {
  const values: number[] = [];
  if (start <= end) {
    for (let v = start; v <= end; v++) values.push(v);
  } else {
    for (let v = start; v <= spec.max; v++) values.push(v);
    for (let v = spec.min; v <= end; v++) values.push(v);
  }
  return values;
}

function parseValue(source: string, text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) {
      throw invalid(
        source,
        `${spec.name} ${text} is out of range (${spec.min}-${spec.max})`,
      );
    }
    return value;
  }
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named;
  throw invalid(source, `"${text}" is not a valid ${spec.name}`);
}

function parseDayOfMonth(source: string, text: string): DayOfMonthRule {
  if (text === "*") return { type: "any" };
  const last = /^L(?:-(\d+))?(W?)$/.exec(text);
  if (last !== null) {
    const offset = last[1] === undefined ? 0 : Number(last[1]);
    if (offset > 30)
      throw invalid(
        source,
        `"${text}": the offset from the last day is at most 30`,
      );
    return { type: "last", offset, weekday: last[2] === "W" };
  }
  const nearest = /^(\d+)W$/.exec(text);
  if (nearest !== null) {
    return {
      type: "nearestWeekday",
      day: parseValue(source, nearest[1] as string, DAY_OF_MONTH),
    };
  }
  return { type: "days", days: parseListField(source, text, DAY_OF_MONTH) };
}

function parseDayOfWeek(source: string, text: string): DayOfWeekRule {
  if (text === "*") return { type: "any" };
  if (text === "L")
    return {
      type: "weekdays",
      weekdays: [0, 1, 2, 3, 4, 5, 6].map((d) => d === 6),
    };
  const last = /^([^L#]+)L$/.exec(text);
  if (last !== null) {
    return {
      type: "lastOfMonth",
      weekday: parseValue(source, last[1] as string, DAY_OF_WEEK),
    };
  }
  const nth = /^([^L#]+)#(\d+)$/.exec(text);
  if (nth !== null) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5)
      throw invalid(source, `"${text}": the week number after # is 1-5`);
    return {
      type: "nth",
      weekday: parseValue(source, nth[1] as string, DAY_OF_WEEK),
      nth: n,
    };
  }
  return {
    type: "weekdays",
    weekdays: parseListField(source, text, DAY_OF_WEEK),
  };
}

/** Rejects expressions whose days exist in none of their months (`0 0 30 2 *`, `0 0 31W 4 *`). */
function assertCanMatch(expression: CronExpression): void {
  const { daysOfMonth: dom, daysOfWeek, months } = expression;
  if (daysOfWeek.type !== "any" && dom.type !== "any") return;
  if (dom.type !== "days" && dom.type !== "nearestWeekday") return;
  const longest = Math.max(
    ...months.map((on, m) => (on ? (MAX_DAYS_IN_MONTH[m] ?? 0) : 0)),
  );
  const smallestDay = dom.type === "days" ? dom.days.indexOf(true) : dom.day;
  if (smallestDay > longest) {
    throw invalid(
      expression.source,
      `day ${smallestDay} never occurs in the selected months`,
    );
  }
}

/** Whether the UTC calendar day (`month` 1-12, `day` 1-31) matches both day fields and the month. */
export function cronMatchesDay(
  expression: CronExpression,
  year: number,
  month: number,
  day: number,
): boolean {
  if (expression.months[month] !== true) return false;
  const { daysOfMonth, daysOfWeek } = expression;
  if (daysOfMonth.type === "any")
    return weekdayRuleMatches(daysOfWeek, year, month, day);
  if (daysOfWeek.type === "any")
    return dayRuleMatches(daysOfMonth, year, month, day);
  return (
    dayRuleMatches(daysOfMonth, year, month, day) ||
    weekdayRuleMatches(daysOfWeek, year, month, day)
  );
}

function dayRuleMatches(
  rule: DayOfMonthRule,
  year: number,
  month: number,
  day: number,
): boolean {
  const length = daysInMonth(year, month);
  switch (rule.type) {
    case "any":
      return true;
    case "days":
      return rule.days[day] === true;
    case "last": {
      const target = length - rule.offset;
      if (target < 1) return false;
      return (
        day === (rule.weekday ? nearestWeekday(year, month, target) : target)
      );
    }
    case "nearestWeekday":
      return (
        rule.day <= length && day === nearestWeekday(year, month, rule.day)
      );
    default:
      return rule satisfies never;
  }
}

function weekdayRuleMatches(
  rule: DayOfWeekRule,
  year: number,
  month: number,
  day: number,
): boolean {
  const weekday = weekdayOf(year, month, day);
  switch (rule.type) {
    case "any":
      return true;
    case "weekdays":
      return rule.weekdays[weekday] === true;
    case "lastOfMonth":
      return weekday === rule.weekday && day + 7 > daysInMonth(year, month);
    case "nth":
      return (
        weekday === rule.weekday && Math.floor((day - 1) / 7) + 1 === rule.nth
      );
    default:
      return rule satisfies never;
  }
}

/** The weekday (Monday-Friday) nearest to `day`, staying inside the month. */
function nearestWeekday(year: number, month: number, day: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0)
    return day === daysInMonth(year, month) ? day - 2 : day + 1;
  return day;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;
/**
 * How far {@link nextCronMatch} looks. Every satisfiable expression matches within 28 years (the
 * Gregorian weekday cycle, so `1#5` in February only, which needs a leap February starting on a
 * Monday, is found); 30 leaves a margin.
 */
const SEARCH_HORIZON_DAYS = 366 * 30;

/**
 * The first minute (epoch ms, a whole UTC minute) matching `expression` strictly after the minute
 * that contains `afterMs`, like saffron's `next_after`. Throws `BadRequest` if nothing matches
 * within 30 years.
 */
export function nextCronMatch(
  expression: CronExpression,
  afterMs: number,
): number {
  const startMinute = Math.floor(afterMs / MINUTE_MS) + 1;
  let dayIndex = Math.floor(startMinute / MINUTES_PER_DAY);
  let fromMinute = startMinute - dayIndex * MINUTES_PER_DAY;
  for (let i = 0; i < SEARCH_HORIZON_DAYS; i++) {
    const date = new Date(dayIndex * DAY_MS);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    if (cronMatchesDay(expression, year, month, date.getUTCDate())) {
      const minuteOfDay = firstTimeOfDay(expression, fromMinute);
      if (minuteOfDay !== null)
        return dayIndex * DAY_MS + minuteOfDay * MINUTE_MS;
    }
    dayIndex += 1;
    fromMinute = 0;
  }
  throw invalid(expression.source, "it matches no time in the next 30 years");
}

/** The first matching minute of the day at or after `fromMinute` (0-1439), or null. */
function firstTimeOfDay(
  expression: CronExpression,
  fromMinute: number,
): number | null {
  const fromHour = Math.floor(fromMinute / 60);
  for (let hour = fromHour; hour < 24; hour++) {
    if (expression.hours[hour] !== true) continue;
    for (
      let minute = hour === fromHour ? fromMinute % 60 : 0;
      minute < 60;
      minute++
    ) {
      if (expression.minutes[minute] === true) return hour * 60 + minute;
    }
  }
  return null;
}
