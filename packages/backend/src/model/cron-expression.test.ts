import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  cronMatchesDay,
  nextCronMatch,
  parseCronExpression,
} from "./cron-expression.js";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s);
const iso = (ms: number): string => new Date(ms).toISOString();

/** The next `count` matches after `from`, as ISO strings. */
function runs(source: string, from: number, count: number): string[] {
  const expression = parseCronExpression(source);
  const out: string[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    at = nextCronMatch(expression, at);
    out.push(iso(at));
  }
  return out;
}

describe("parseCronExpression", () => {
  test.each([
    ["* * * * * *", "found 6 fields"],
    ["* * * *", "found 4 fields"],
    ["60 * * * *", "minute 60 is out of range (0-59)"],
    ["0 24 * * *", "hour 24 is out of range (0-23)"],
    ["0 0 0 * *", "day of month 0 is out of range (1-31)"],
    ["0 0 * 13 *", "month 13 is out of range (1-12)"],
    ["0 12 * * 7", "day of week 7 is out of range (0-6)"],
    ["*/0 * * * *", "step 0 is out of range for minute (1-59)"],
    ["*/60 * * * *", "step 60 is out of range for minute (1-59)"],
    ["0 0 */31 * *", "step 31 is out of range for day of month (1-30)"],
    ["5- * * * *", '"5-" is not a valid minute item'],
    ["*-5 * * * *", '"*-5" is not a valid minute item'],
    ["0 0 * FOO *", '"FOO" is not a valid month'],
    ["0 0 * * FUNDAY", '"FUNDAY" is not a valid day of week'],
    ["0 0 30 2 *", "day 30 never occurs in the selected months"],
    ["0 0 31 4,6 *", "day 31 never occurs in the selected months"],
    ["0 0 L-31 * *", "the offset from the last day is at most 30"],
    ["0 0 * * 1#6", "the week number after # is 1-5"],
    ["0 0 ? * *", '"?" is not a valid day of month'],
  ])("rejects %j: %s", (source, reason) => {
    expect(() => parseCronExpression(source)).toThrow(reason);
  });

  test("errors are BadRequest InvalidCronExpression and describe the expected format", () => {
    expect(() => parseCronExpression("nope")).toThrow(
      expect.objectContaining({
        code: "BadRequest",
        shortMsg: "InvalidCronExpression",
        message: expect.stringContaining(
          "minute hour day-of-month month day-of-week",
        ) as unknown,
      }) as Error,
    );
  });

  test("accepts surrounding whitespace and tabs between fields", () => {
    expect(() => parseCronExpression("  0\t12 * *  *  ")).not.toThrow();
  });
});

describe("nextCronMatch", () => {
  // Convex's own expectations (crates/model/src/cron_jobs/next_ts.rs): Mondays and Fridays at noon.
  test("matches Convex's test: `0 12 * * 1,5` after Tue 2023-02-28 08:35 is Fri then Mon", () => {
    expect(runs("0 12 * * 1,5", utc(2023, 2, 28, 8, 35), 2)).toEqual([
      "2023-03-03T12:00:00.000Z",
      "2023-03-06T12:00:00.000Z",
    ]);
  });

  test("is strictly after the minute containing the start, ignoring seconds", () => {
    expect(runs("* * * * *", utc(2024, 1, 1, 12, 0, 0), 1)).toEqual([
      "2024-01-01T12:01:00.000Z",
    ]);
    expect(runs("* * * * *", utc(2024, 1, 1, 12, 0, 30), 1)).toEqual([
      "2024-01-01T12:01:00.000Z",
    ]);
    expect(runs("30 12 * * *", utc(2024, 1, 1, 12, 30, 59), 1)).toEqual([
      "2024-01-02T12:30:00.000Z",
    ]);
  });

  test("steps over the whole range, over a range, and from a start value", () => {
    expect(runs("*/20 * * * *", utc(2024, 1, 1, 0, 59), 3)).toEqual([
      "2024-01-01T01:00:00.000Z",
      "2024-01-01T01:20:00.000Z",
      "2024-01-01T01:40:00.000Z",
    ]);
    expect(runs("10-30/7 9 * * *", utc(2024, 1, 1), 4)).toEqual([
      "2024-01-01T09:10:00.000Z",
      "2024-01-01T09:17:00.000Z",
      "2024-01-01T09:24:00.000Z",
      "2024-01-02T09:10:00.000Z",
    ]);
    expect(runs("45/10 0 * * *", utc(2024, 1, 1), 3)).toEqual([
      "2024-01-01T00:45:00.000Z",
      "2024-01-01T00:55:00.000Z",
      "2024-01-02T00:45:00.000Z",
    ]);
  });

  test("lists mix values, ranges and steps", () => {
    expect(runs("0 1,3-4,*/12 * * *", utc(2024, 1, 1, 0, 30), 5)).toEqual([
      "2024-01-01T01:00:00.000Z",
      "2024-01-01T03:00:00.000Z",
      "2024-01-01T04:00:00.000Z",
      "2024-01-01T12:00:00.000Z",
      "2024-01-02T00:00:00.000Z",
    ]);
  });

  test("month and weekday names are accepted in any case", () => {
    expect(runs("0 9 * jan,JUL Mon-fri", utc(2024, 6, 1), 2)).toEqual([
      "2024-07-01T09:00:00.000Z",
      "2024-07-02T09:00:00.000Z",
    ]);
  });

  test("a range whose start is after its end wraps around", () => {
    expect(runs("0 22-1 * * *", utc(2024, 1, 1, 12), 4)).toEqual([
      "2024-01-01T22:00:00.000Z",
      "2024-01-01T23:00:00.000Z",
      "2024-01-02T00:00:00.000Z",
      "2024-01-02T01:00:00.000Z",
    ]);
    // 2024-01-03 is a Wednesday: FRI-MON is Fri, Sat, Sun, Mon.
    expect(runs("0 0 * * FRI-MON", utc(2024, 1, 3), 4)).toEqual([
      "2024-01-05T00:00:00.000Z",
      "2024-01-06T00:00:00.000Z",
      "2024-01-07T00:00:00.000Z",
      "2024-01-08T00:00:00.000Z",
    ]);
  });

  test("restricted day of month and day of week match either (Vixie cron's OR rule)", () => {
    // The 13th, or any Friday. 2024-09-13 is itself a Friday.
    expect(runs("0 0 13 * 5", utc(2024, 9, 1), 4)).toEqual([
      "2024-09-06T00:00:00.000Z",
      "2024-09-13T00:00:00.000Z",
      "2024-09-20T00:00:00.000Z",
      "2024-09-27T00:00:00.000Z",
    ]);
    // A stepped day of month is still a restriction, so the OR applies.
    expect(runs("0 0 */10 * SUN", utc(2024, 9, 1, 1), 3)).toEqual([
      "2024-09-08T00:00:00.000Z",
      "2024-09-11T00:00:00.000Z",
      "2024-09-15T00:00:00.000Z",
    ]);
  });

  test("the 31st skips months without one", () => {
    expect(runs("0 0 31 * *", utc(2023, 1, 31, 1), 3)).toEqual([
      "2023-03-31T00:00:00.000Z",
      "2023-05-31T00:00:00.000Z",
      "2023-07-31T00:00:00.000Z",
    ]);
  });

  test("February 29 runs only in leap years, skipping 2100", () => {
    expect(runs("0 0 29 2 *", utc(2023, 3, 1), 2)).toEqual([
      "2024-02-29T00:00:00.000Z",
      "2028-02-29T00:00:00.000Z",
    ]);
    expect(runs("0 0 29 2 *", utc(2097, 1, 1), 1)).toEqual([
      "2104-02-29T00:00:00.000Z",
    ]);
  });

  test("the year boundary is crossed", () => {
    expect(runs("59 23 31 12 *", utc(2023, 12, 31, 23, 59), 1)).toEqual([
      "2024-12-31T23:59:00.000Z",
    ]);
    expect(runs("0 0 1 1 *", utc(2023, 12, 31, 23, 59), 1)).toEqual([
      "2024-01-01T00:00:00.000Z",
    ]);
  });

  test("L is the last day of the month, L-n counts back from it", () => {
    expect(runs("0 0 L * *", utc(2024, 1, 31, 1), 3)).toEqual([
      "2024-02-29T00:00:00.000Z",
      "2024-03-31T00:00:00.000Z",
      "2024-04-30T00:00:00.000Z",
    ]);
    expect(runs("0 0 L-2 2 *", utc(2023, 1, 1), 2)).toEqual([
      "2023-02-26T00:00:00.000Z",
      "2024-02-27T00:00:00.000Z",
    ]);
  });

  test("LW is the last weekday and nW the weekday nearest to day n, inside the month", () => {
    // 2024-03-31 is a Sunday, 2024-08-31 a Saturday.
    expect(runs("0 0 LW 3,8 *", utc(2024, 1, 1), 2)).toEqual([
      "2024-03-29T00:00:00.000Z",
      "2024-08-30T00:00:00.000Z",
    ]);
    // 2024-06-01 is a Saturday: the nearest weekday in June is Monday the 3rd.
    // 2024-09-15 is a Sunday: Monday the 16th.
    expect(runs("0 0 1W 6 *", utc(2024, 1, 1), 1)).toEqual([
      "2024-06-03T00:00:00.000Z",
    ]);
    expect(runs("0 0 15W 9 *", utc(2024, 1, 1), 1)).toEqual([
      "2024-09-16T00:00:00.000Z",
    ]);
    // 2024-03-31 is a Sunday and the last day: Friday the 29th.
    expect(runs("0 0 31W 3 *", utc(2024, 1, 1), 1)).toEqual([
      "2024-03-29T00:00:00.000Z",
    ]);
  });

  test("dL is the last such weekday of the month and d#n the n-th", () => {
    expect(runs("0 0 * * 5L", utc(2024, 1, 1), 2)).toEqual([
      "2024-01-26T00:00:00.000Z",
      "2024-02-23T00:00:00.000Z",
    ]);
    expect(runs("0 0 * * MON#1", utc(2024, 1, 1, 1), 2)).toEqual([
      "2024-02-05T00:00:00.000Z",
      "2024-03-04T00:00:00.000Z",
    ]);
    // A fifth Monday in February needs a leap year whose February starts on a Monday.
    expect(runs("0 0 * 2 1#5", utc(2024, 3, 1), 1)).toEqual([
      "2044-02-29T00:00:00.000Z",
    ]);
  });

  test("L alone in the day-of-week field means Saturday", () => {
    expect(runs("0 0 * * L", utc(2024, 1, 1), 1)).toEqual([
      "2024-01-06T00:00:00.000Z",
    ]);
  });

  test("cronMatchesDay applies the month field", () => {
    const expression = parseCronExpression("0 0 * 3 *");
    expect(cronMatchesDay(expression, 2024, 3, 1)).toBe(true);
    expect(cronMatchesDay(expression, 2024, 4, 1)).toBe(false);
  });

  test("the result is the first matching minute after the start (checked minute by minute)", () => {
    const field = (max: number) =>
      fc
        .uniqueArray(fc.integer({ min: 0, max }), {
          minLength: 1,
          maxLength: 4,
        })
        .map((v) => v.join(","));
    fc.assert(
      fc.property(
        field(59),
        field(23),
        fc.integer({ min: utc(2020, 1, 1), max: utc(2030, 1, 1) }),
        (minutes, hours, from) => {
          const expression = parseCronExpression(`${minutes} ${hours} * * *`);
          const next = nextCronMatch(expression, from);
          expect(next % 60_000).toBe(0);
          expect(next).toBeGreaterThan(from);
          const wanted = (ms: number) => {
            const d = new Date(ms);
            return (
              expression.minutes[d.getUTCMinutes()] === true &&
              expression.hours[d.getUTCHours()] === true
            );
          };
          expect(wanted(next)).toBe(true);
          let earlier: number | null = null;
          for (
            let t = Math.floor(from / 60_000) * 60_000 + 60_000;
            t < next && earlier === null;
            t += 60_000
          ) {
            if (wanted(t)) earlier = t;
          }
          expect(earlier).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });
});
