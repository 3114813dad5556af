import { describe, expect, test } from "vitest";
import {
  compileCronSchedule,
  cronSlotsMissed,
  firstCronRun,
  MAX_COUNTED_SKIPPED_SLOTS,
  nextCronRun,
  parseCronSchedule,
  stableMinuteFor,
  type CronSchedule,
} from "./cron-schedule.js";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s);
const iso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

function timetable(json: unknown, identifier = "job") {
  return compileCronSchedule(parseCronSchedule(json), identifier);
}

/** `first` then `count - 1` successors, as Convex's scheduler would record them. */
function schedule(
  json: unknown,
  now: number,
  count: number,
): (string | null)[] {
  const t = timetable(json);
  const out = [firstCronRun(t, now)];
  while (out.length < count)
    out.push(nextCronRun(t, out[out.length - 1] as number));
  return out.map(iso);
}

// 2023-03-01 08:35 and 2023-02-28 08:35 UTC: the instants of Convex's next_ts.rs tests.
const MAR_01_0835 = utc(2023, 3, 1, 8, 35);
const FEB_28_0835 = utc(2023, 2, 28, 8, 35);

describe("parseCronSchedule", () => {
  test("accepts every shape crons.export() writes (probe output of convex 1.48)", () => {
    const shapes: CronSchedule[] = [
      { minutes: 1, type: "interval" },
      { type: "hourly" },
      { hourUTC: 3, minuteUTC: 5, type: "daily" },
      { dayOfWeek: "monday", hourUTC: 3, type: "weekly" },
      { day: 1, hourUTC: 0, minuteUTC: 0, type: "monthly" },
      { cron: "*/5 * * * *", type: "cron" },
    ];
    for (const shape of shapes) expect(parseCronSchedule(shape)).toEqual(shape);
  });

  test.each([
    [
      { type: "interval" },
      "Exactly one of (seconds, minutes, hours) should be specified",
    ],
    [
      { type: "interval", seconds: 1, minutes: 1 },
      "Exactly one of (seconds, minutes, hours) should be specified",
    ],
    [
      { type: "interval", seconds: 0 },
      "Interval must be an integer greater than 0",
    ],
    [
      { type: "interval", hours: 1.5 },
      "Interval must be an integer greater than 0",
    ],
    [{ type: "hourly", minuteUTC: 60 }, "minuteUTC must be 0-59, got 60"],
    [{ type: "daily", hourUTC: 24 }, "hourUTC must be 0-23, got 24"],
    [{ type: "daily" }, "hourUTC must be 0-23, got undefined"],
    [
      { type: "weekly", dayOfWeek: "Tuesday", hourUTC: 1 },
      'Day of week must be a string like "monday".',
    ],
    [
      { type: "monthly", day: 32, hourUTC: 1 },
      "day of month must be 1-31, got 32",
    ],
    [
      { type: "cron", cron: "0 12 * * 7" },
      "day of week 7 is out of range (0-6)",
    ],
    [{ type: "cron" }, "A cron schedule needs a `cron` string."],
    [{ type: "yearly" }, 'Unknown cron schedule type "yearly".'],
    [null, "A cron schedule must be an object with a `type` field."],
  ])("rejects %j", (json, message) => {
    expect(() => parseCronSchedule(json)).toThrow(message);
  });

  test("errors are BadRequest with a stable tag", () => {
    expect(() => parseCronSchedule({ type: "interval" })).toThrow(
      expect.objectContaining({
        code: "BadRequest",
        shortMsg: "InvalidCronSchedule",
      }) as Error,
    );
  });
});

describe("cron run times", () => {
  test("an interval job runs at deploy, then every period after the previous slot", () => {
    expect(schedule({ type: "interval", seconds: 60 }, MAR_01_0835, 3)).toEqual(
      [
        "2023-03-01T08:35:00.000Z",
        "2023-03-01T08:36:00.000Z",
        "2023-03-01T08:37:00.000Z",
      ],
    );
    expect(
      schedule({ type: "interval", hours: 2 }, MAR_01_0835 + 1234, 2),
    ).toEqual(["2023-03-01T08:35:01.234Z", "2023-03-01T10:35:01.234Z"]);
  });

  test("hourly, daily, weekly and monthly match Convex's next_ts.rs expectations", () => {
    expect(schedule({ type: "hourly", minuteUTC: 5 }, MAR_01_0835, 2)).toEqual([
      "2023-03-01T09:05:00.000Z",
      "2023-03-01T10:05:00.000Z",
    ]);
    expect(
      schedule({ type: "daily", hourUTC: 8, minuteUTC: 30 }, FEB_28_0835, 2),
    ).toEqual(["2023-03-01T08:30:00.000Z", "2023-03-02T08:30:00.000Z"]);
    expect(
      schedule(
        { type: "weekly", dayOfWeek: "tuesday", hourUTC: 12, minuteUTC: 30 },
        FEB_28_0835,
        2,
      ),
    ).toEqual(["2023-02-28T12:30:00.000Z", "2023-03-07T12:30:00.000Z"]);
    expect(
      schedule(
        { type: "monthly", day: 1, hourUTC: 12, minuteUTC: 30 },
        FEB_28_0835,
        2,
      ),
    ).toEqual(["2023-03-01T12:30:00.000Z", "2023-04-01T12:30:00.000Z"]);
  });

  test("a monthly job on day 31 skips shorter months, on day 29 runs in February only in leap years", () => {
    expect(
      schedule(
        { type: "monthly", day: 31, hourUTC: 0, minuteUTC: 0 },
        utc(2024, 1, 31, 1),
        3,
      ),
    ).toEqual([
      "2024-03-31T00:00:00.000Z",
      "2024-05-31T00:00:00.000Z",
      "2024-07-31T00:00:00.000Z",
    ]);
    expect(
      schedule(
        { type: "monthly", day: 29, hourUTC: 0, minuteUTC: 0 },
        utc(2023, 1, 30),
        2,
      ),
    ).toEqual(["2023-03-29T00:00:00.000Z", "2023-04-29T00:00:00.000Z"]);
    expect(
      schedule(
        { type: "monthly", day: 29, hourUTC: 0, minuteUTC: 0 },
        utc(2024, 1, 30),
        1,
      ),
    ).toEqual(["2024-02-29T00:00:00.000Z"]);
  });

  test("weekly covers every day name (Sunday is 0)", () => {
    const sunday = utc(2024, 1, 7);
    [
      "sunday",
      "monday",
      "tuesday",
      "wednesday",
      "thursday",
      "friday",
      "saturday",
    ].forEach((day, i) => {
      const run = firstCronRun(
        timetable({ type: "weekly", dayOfWeek: day, hourUTC: 0, minuteUTC: 0 }),
        sunday - 1,
      );
      expect(run).toBe(sunday + i * 86_400_000);
    });
  });

  test("a cron string schedule follows the expression", () => {
    expect(
      schedule({ type: "cron", cron: "0 12 * * 1,5" }, FEB_28_0835, 2),
    ).toEqual(["2023-03-03T12:00:00.000Z", "2023-03-06T12:00:00.000Z"]);
  });
});

describe("stableMinuteFor", () => {
  test("is a deterministic minute 0-59 that differs between identifiers", () => {
    const ids = Array.from({ length: 200 }, (_, i) => `job ${i}`);
    const minutes = ids.map(stableMinuteFor);
    expect(ids.map(stableMinuteFor)).toEqual(minutes);
    expect(minutes.every((m) => Number.isInteger(m) && m >= 0 && m < 60)).toBe(
      true,
    );
    expect(new Set(minutes).size).toBeGreaterThan(40);
  });

  test("is used when minuteUTC is omitted, and only then", () => {
    const id = "Reset high scores";
    const minute = stableMinuteFor(id);
    const hourly = compileCronSchedule({ type: "hourly" }, id);
    expect(
      new Date(firstCronRun(hourly, utc(2024, 1, 1, 10, 59))).getUTCMinutes(),
    ).toBe(minute);
    const daily = compileCronSchedule({ type: "daily", hourUTC: 4 }, id);
    expect(iso(firstCronRun(daily, utc(2024, 1, 1)))).toBe(
      new Date(utc(2024, 1, 1, 4, minute)).toISOString(),
    );
    const explicit = compileCronSchedule(
      { type: "hourly", minuteUTC: (minute + 1) % 60 },
      id,
    );
    expect(
      new Date(firstCronRun(explicit, utc(2024, 1, 1))).getUTCMinutes(),
    ).toBe((minute + 1) % 60);
  });
});

describe("cronSlotsMissed", () => {
  const hourly = timetable({ type: "hourly", minuteUTC: 0 });
  const ran = utc(2024, 1, 1, 10);

  test("a run that finishes before the next slot moves the job to that slot", () => {
    expect(cronSlotsMissed(hourly, ran, utc(2024, 1, 1, 10, 0, 5))).toEqual({
      nextSlotMs: utc(2024, 1, 1, 11),
      skippedSlots: 0,
    });
  });

  test("slots that passed during a slow run or downtime are skipped, not run", () => {
    expect(cronSlotsMissed(hourly, ran, utc(2024, 1, 1, 15, 30))).toEqual({
      nextSlotMs: utc(2024, 1, 1, 16),
      skippedSlots: 5,
    });
  });

  test("a slot exactly at now is kept", () => {
    expect(cronSlotsMissed(hourly, ran, utc(2024, 1, 1, 13))).toEqual({
      nextSlotMs: utc(2024, 1, 1, 13),
      skippedSlots: 2,
    });
  });

  test("after a restart the overdue slot runs once, then the job resumes in the future", () => {
    // The stored nextTs (11:00) passed while the server was down; it runs at 15:30 on restart.
    const stored = nextCronRun(hourly, ran);
    const restart = utc(2024, 1, 1, 15, 30);
    expect(stored <= restart).toBe(true);
    const after = cronSlotsMissed(hourly, stored, restart + 2_000);
    expect(after).toEqual({ nextSlotMs: utc(2024, 1, 1, 16), skippedSlots: 4 });
  });

  test("interval jobs skip arithmetically and keep their phase", () => {
    const every10s = timetable({ type: "interval", seconds: 10 });
    const start = utc(2024, 1, 1, 0, 0, 3);
    const now = start + 30 * 86_400_000 + 4_000;
    const catchUp = cronSlotsMissed(every10s, start, now);
    expect(catchUp.nextSlotMs).toBe(start + 30 * 86_400_000 + 10_000);
    expect(catchUp.skippedSlots).toBe(
      (catchUp.nextSlotMs - (start + 10_000)) / 10_000,
    );
    expect(cronSlotsMissed(every10s, start, start + 10_000)).toEqual({
      nextSlotMs: start + 10_000,
      skippedSlots: 0,
    });
  });

  test("counting skipped cron slots stops at the cap but the next slot is still exact", () => {
    const everyMinute = timetable({ type: "cron", cron: "* * * * *" });
    const now = ran + 30 * 86_400_000 + 30_000;
    const catchUp = cronSlotsMissed(everyMinute, ran, now);
    expect(catchUp.skippedSlots).toBe(MAX_COUNTED_SKIPPED_SLOTS);
    expect(catchUp.nextSlotMs).toBe(now + 30_000);
  });
});
