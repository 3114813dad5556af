import { describe, expect, test } from "vitest";
import type { Database } from "../engine/database.js";
import { ManualClock } from "../engine/testing/manual-clock.js";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import type { Transaction } from "../engine/transaction.js";
import { silentLogger } from "../shared/logger.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { ObjectValue } from "../values/value.js";
import { listCronJobs, syncCronJobs } from "./cron-jobs.js";
import {
  cancelJob,
  getScheduledJob,
  listScheduledJobs,
  scheduleJob,
} from "./scheduled-jobs.js";
import {
  ACTION_INTERRUPTED_ERROR,
  Scheduler,
  type ScheduledFunctionExecutor,
  type ScheduledRun,
} from "./scheduler.js";

type Handler = (tx: Transaction | null, args: ObjectValue) => Promise<void>;

interface TestFunction {
  readonly udfType: "mutation" | "action";
  readonly handler: Handler;
}

/** Runs test functions the way the runner does: mutations in a transaction with `beforeCommit`. */
function testExecutor(
  database: () => Database,
  functions: Record<string, TestFunction>,
  ran: ScheduledRun[] = [],
): ScheduledFunctionExecutor {
  return {
    udfType: (path) => functions[path]?.udfType ?? null,
    async run(run, beforeCommit) {
      ran.push(run);
      const fn = functions[run.udfPath];
      if (fn === undefined)
        return { success: false, error: `Could not find ${run.udfPath}` };
      try {
        if (fn.udfType === "action") {
          await fn.handler(null, run.args);
          return { success: true };
        }
        await database().runInTransaction(async (tx) => {
          await fn.handler(tx, run.args);
          await beforeCommit(tx);
        });
        return { success: true };
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        return { success: false, error: error.message };
      }
    },
  };
}

class UserError extends Error {}

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

async function withDatabase(
  kind: "memory" | "sqlite",
  body: (fixture: EngineFixture) => Promise<void>,
): Promise<void> {
  await using fixture = await createTestDatabase(kind);
  await body(fixture);
}

function schedule(
  database: Database,
  name: string,
  scheduledTime: number,
  args: ObjectValue = {},
): Promise<string> {
  return database
    .runInTransaction((tx) => scheduleJob(tx, { name, args, scheduledTime }))
    .then((r) => r.value);
}

async function jobState(database: Database, id: string) {
  const tx = database.begin();
  try {
    return await getScheduledJob(tx, id);
  } finally {
    tx.close();
  }
}

async function countRows(database: Database, table: string): Promise<number> {
  const tx = database.begin();
  try {
    return await tx.count(table);
  } finally {
    tx.close();
  }
}

const insertLog =
  (table = "log"): Handler =>
  async (tx, args) => {
    await tx!.insert(table, { ...args });
  };

function newScheduler(
  database: Database,
  executor: ScheduledFunctionExecutor,
  clock: Clock = new ManualClock(T0),
): Scheduler {
  return new Scheduler({ database, clock, executor, logger: silentLogger });
}

describe("scheduleJob", () => {
  test("a job scheduled by a transaction that fails does not exist", async () => {
    await withDatabase("memory", async ({ database }) => {
      await expect(
        database.runInTransaction(async (tx) => {
          await scheduleJob(tx, {
            name: "m.js:f",
            args: {},
            scheduledTime: T0,
          });
          throw new UserError("boom");
        }),
      ).rejects.toThrow("boom");
      const tx = database.begin();
      expect(await listScheduledJobs(tx)).toEqual([]);
      tx.close();
    });
  });

  test("stores the documented document shape", async () => {
    await withDatabase("memory", async ({ database }) => {
      const id = await schedule(database, "m.js:f", T0 + 5.5, { n: 1 });
      const tx = database.begin();
      const doc = await tx.get(id, { isSystem: true });
      tx.close();
      expect(doc).toMatchObject({
        name: "m.js:f",
        args: [{ n: 1 }],
        scheduledTime: T0 + 5.5,
        state: { kind: "pending" },
      });
    });
  });

  test("refuses more than 1000 jobs in one transaction", async () => {
    await withDatabase("memory", async ({ database }) => {
      await expect(
        database.runInTransaction(async (tx) => {
          for (let i = 0; i <= 1000; i++) {
            await scheduleJob(tx, {
              name: "m.js:f",
              args: {},
              scheduledTime: T0,
            });
          }
        }),
      ).rejects.toThrow(/Too many functions scheduled/);
    });
  });
});

describe("Scheduler", () => {
  test("runs a scheduled mutation once it is due, not before", async () => {
    await withDatabase("memory", async ({ database }) => {
      const executor = testExecutor(() => database, {
        "m.js:f": { udfType: "mutation", handler: insertLog() },
      });
      const scheduler = newScheduler(database, executor);
      const id = await schedule(database, "m.js:f", T0 + 1000, { n: 1 });
      expect(await scheduler.runDue(T0 + 999)).toBe(0);
      expect(await scheduler.nextDueMs()).toBe(T0 + 1000);
      expect(await scheduler.runDue(T0 + 1000)).toBe(1);
      expect(await jobState(database, id)).toMatchObject({
        state: { kind: "success" },
        completedTime: T0,
      });
      expect(await countRows(database, "log")).toBe(1);
      expect(await scheduler.nextDueMs()).toBeNull();
      await scheduler.stop();
    });
  });

  test("a failing scheduled mutation rolls back its writes and is marked failed", async () => {
    await withDatabase("memory", async ({ database }) => {
      const executor = testExecutor(() => database, {
        "m.js:f": {
          udfType: "mutation",
          handler: async (tx) => {
            await tx!.insert("log", {});
            throw new UserError("Uncaught Error: boom");
          },
        },
      });
      const scheduler = newScheduler(database, executor);
      const id = await schedule(database, "m.js:f", T0);
      await scheduler.runDue(T0);
      expect(await jobState(database, id)).toMatchObject({
        state: { kind: "failed", error: "Uncaught Error: boom" },
      });
      expect(await countRows(database, "log")).toBe(0);
      await scheduler.stop();
    });
  });

  test("a scheduled mutation commits once when two schedulers race for it", async () => {
    await withDatabase("memory", async ({ database }) => {
      const ran: ScheduledRun[] = [];
      const functions = {
        "m.js:f": { udfType: "mutation" as const, handler: insertLog() },
      };
      const a = newScheduler(
        database,
        testExecutor(() => database, functions, ran),
      );
      const b = newScheduler(
        database,
        testExecutor(() => database, functions, ran),
      );
      const id = await schedule(database, "m.js:f", T0);
      await Promise.all([a.runDue(T0), b.runDue(T0), a.runDue(T0)]);
      expect(ran.length).toBeGreaterThanOrEqual(1);
      expect(await countRows(database, "log")).toBe(1);
      expect((await jobState(database, id))?.state).toEqual({
        kind: "success",
      });
      await a.stop();
      await b.stop();
    });
  });

  test("a scheduled mutation re-run after an OCC conflict still commits once", async () => {
    await withDatabase("memory", async ({ database }) => {
      const counterId = (
        await database.runInTransaction((tx) => tx.insert("counter", { n: 0 }))
      ).value;
      let attempts = 0;
      const executor = testExecutor(() => database, {
        "m.js:bump": {
          udfType: "mutation",
          handler: async (tx) => {
            attempts++;
            const doc = await tx!.get(counterId);
            if (attempts === 1) {
              // A concurrent writer commits in between: this attempt must conflict.
              await database.runInTransaction((other) =>
                other.patch(counterId, { n: 100 }),
              );
            }
            await tx!.patch(counterId, { n: Number(doc!["n"]) + 1 });
          },
        },
      });
      const scheduler = newScheduler(database, executor);
      const id = await schedule(database, "m.js:bump", T0);
      await scheduler.runDue(T0);
      expect(attempts).toBe(2);
      const tx = database.begin();
      expect((await tx.get(counterId))?.["n"]).toBe(101);
      tx.close();
      expect((await jobState(database, id))?.state).toEqual({
        kind: "success",
      });
      await scheduler.stop();
    });
  });

  test("a scheduled action is marked in progress before it runs, then success", async () => {
    await withDatabase("memory", async ({ database }) => {
      let seen: string | undefined;
      let jobId = "";
      const executor = testExecutor(() => database, {
        "a.js:act": {
          udfType: "action",
          handler: async () => {
            seen = (await jobState(database, jobId))?.state.kind;
          },
        },
      });
      const scheduler = newScheduler(database, executor);
      jobId = await schedule(database, "a.js:act", T0);
      await scheduler.runDue(T0);
      expect(seen).toBe("inProgress");
      expect((await jobState(database, jobId))?.state).toEqual({
        kind: "success",
      });
      await scheduler.stop();
    });
  });

  test("an action left in progress by a restart is marked failed and not run again", async () => {
    await withDatabase("sqlite", async (fixture) => {
      let runs = 0;
      let release: () => void = () => {};
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const functions: Record<string, TestFunction> = {
        "a.js:act": {
          udfType: "action",
          handler: async () => {
            runs++;
            await blocked;
          },
        },
      };
      const first = newScheduler(
        fixture.database,
        testExecutor(() => fixture.database, functions),
      );
      const id = await schedule(fixture.database, "a.js:act", T0);
      const running = first.runDue(T0);
      while (runs === 0) await new Promise((r) => setImmediate(r));
      // The process "dies" with the action in flight.
      const database = await fixture.reopen();
      release();
      await running;
      const second = newScheduler(
        database,
        testExecutor(() => database, functions),
      );
      await second.start();
      await second.runDue(T0 + 10_000);
      expect(runs).toBe(1);
      expect((await jobState(database, id))?.state).toEqual({
        kind: "failed",
        error: ACTION_INTERRUPTED_ERROR,
      });
      await second.stop();
    });
  });

  test("a canceled job does not run, and a mutation cannot cancel itself", async () => {
    await withDatabase("memory", async ({ database }) => {
      let selfCancel: string | undefined;
      let selfId = "";
      const executor = testExecutor(() => database, {
        "m.js:f": { udfType: "mutation", handler: insertLog() },
        "m.js:self": {
          udfType: "mutation",
          handler: async (tx) => {
            await cancelJob(tx!, selfId, {
              nowMs: T0,
              runningJobId: selfId,
            }).catch((e: Error) => (selfCancel = e.message));
          },
        },
      });
      const scheduler = newScheduler(database, executor);
      const canceled = await schedule(database, "m.js:f", T0);
      await database.runInTransaction((tx) =>
        cancelJob(tx, canceled, { nowMs: T0, runningJobId: null }),
      );
      selfId = await schedule(database, "m.js:self", T0);
      await scheduler.runDue(T0);
      expect((await jobState(database, canceled))?.state).toEqual({
        kind: "canceled",
      });
      expect(await countRows(database, "log")).toBe(0);
      expect(selfCancel).toBe("A mutation cannot cancel itself");
      await scheduler.stop();
    });
  });

  test("an action canceled while it runs stays canceled", async () => {
    await withDatabase("memory", async ({ database }) => {
      let jobId = "";
      const executor = testExecutor(() => database, {
        "a.js:act": {
          udfType: "action",
          handler: async () => {
            await database.runInTransaction((tx) =>
              cancelJob(tx, jobId, { nowMs: T0, runningJobId: null }),
            );
          },
        },
      });
      const scheduler = newScheduler(database, executor);
      jobId = await schedule(database, "a.js:act", T0);
      await scheduler.runDue(T0);
      expect((await jobState(database, jobId))?.state).toEqual({
        kind: "canceled",
      });
      await scheduler.stop();
    });
  });

  test("pending jobs survive a restart and run once afterwards", async () => {
    await withDatabase("sqlite", async (fixture) => {
      const functions: Record<string, TestFunction> = {
        "m.js:f": { udfType: "mutation", handler: insertLog() },
      };
      const id = await schedule(fixture.database, "m.js:f", T0 + 50);
      const database = await fixture.reopen();
      const scheduler = newScheduler(
        database,
        testExecutor(() => database, functions),
      );
      await scheduler.start();
      await scheduler.runDue(T0 + 60);
      await scheduler.runDue(T0 + 70);
      expect(await countRows(database, "log")).toBe(1);
      expect((await jobState(database, id))?.state).toEqual({
        kind: "success",
      });
      await scheduler.stop();
    });
  });

  test("deletes finished jobs after the retention period, keeps the rest", async () => {
    await withDatabase("memory", async ({ database }) => {
      const executor = testExecutor(() => database, {
        "m.js:f": { udfType: "mutation", handler: insertLog() },
      });
      const clock = new ManualClock(T0);
      const scheduler = newScheduler(database, executor, clock);
      const done = await schedule(database, "m.js:f", T0);
      await scheduler.runDue(T0);
      const pending = await schedule(database, "m.js:f", T0 + 10 * DAY);
      expect(await scheduler.collectGarbage(T0 + DAY)).toBe(0);
      expect(await scheduler.collectGarbage(T0 + 8 * DAY)).toBe(1);
      expect(await jobState(database, done)).toBeNull();
      expect((await jobState(database, pending))?.state.kind).toBe("pending");
      await scheduler.stop();
    });
  });

  test("wakes by itself when a commit schedules a job", async () => {
    await withDatabase("memory", async ({ database }) => {
      const executor = testExecutor(() => database, {
        "m.js:f": { udfType: "mutation", handler: insertLog() },
      });
      const scheduler = newScheduler(database, executor, systemClock);
      await scheduler.start();
      const id = await schedule(database, "m.js:f", Date.now() + 30);
      const deadline = Date.now() + 5000;
      while ((await jobState(database, id))?.state.kind !== "success") {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 10));
      }
      await scheduler.stop();
    });
  });
});

describe("Scheduler crons", () => {
  const everySecond = {
    tick: {
      name: "crons:tick",
      args: [{}],
      schedule: { type: "interval", seconds: 1 },
    },
  };

  test("an interval cron runs at deploy, then once per slot", async () => {
    await withDatabase("memory", async ({ database }) => {
      const ran: ScheduledRun[] = [];
      const executor = testExecutor(
        () => database,
        { "crons:tick": { udfType: "mutation", handler: insertLog() } },
        ran,
      );
      await database.runInTransaction((tx) =>
        syncCronJobs(tx, everySecond, T0),
      );
      const scheduler = newScheduler(database, executor);
      await scheduler.runDue(T0);
      await scheduler.runDue(T0 + 500);
      expect(await countRows(database, "log")).toBe(1);
      await scheduler.runDue(T0 + 1000);
      expect(await countRows(database, "log")).toBe(2);
      expect(ran.map((r) => r.cronName)).toEqual(["tick", "tick"]);
      await scheduler.stop();
    });
  });

  test("slots missed while down run once, and the next slot is in the future", async () => {
    await withDatabase("sqlite", async (fixture) => {
      const functions: Record<string, TestFunction> = {
        "crons:tick": { udfType: "mutation", handler: insertLog() },
      };
      await fixture.database.runInTransaction((tx) =>
        syncCronJobs(tx, everySecond, T0),
      );
      const first = newScheduler(
        fixture.database,
        testExecutor(() => fixture.database, functions),
      );
      await first.runDue(T0);
      await first.stop();
      const database = await fixture.reopen();
      const second = newScheduler(
        database,
        testExecutor(() => database, functions),
      );
      await second.start();
      await second.runDue(T0 + 5_500);
      await second.runDue(T0 + 5_500);
      expect(await countRows(database, "log")).toBe(2);
      const tx = database.begin();
      const [cron] = await listCronJobs(tx);
      tx.close();
      expect(cron).toMatchObject({ prevTs: T0 + 1000, nextTs: T0 + 6000 });
      await second.stop();
    });
  });

  test("an action cron left in progress by a restart is not run again for its slot", async () => {
    await withDatabase("memory", async ({ database }) => {
      let runs = 0;
      const ran: ScheduledRun[] = [];
      const executor = testExecutor(
        () => database,
        {
          "crons:tick": {
            udfType: "action",
            handler: () => {
              runs++;
              return Promise.resolve();
            },
          },
        },
        ran,
      );
      await database.runInTransaction((tx) =>
        syncCronJobs(tx, everySecond, T0),
      );
      const scheduler = newScheduler(database, executor);
      await scheduler.runDue(T0);
      await scheduler.start();
      await scheduler.runDue(T0 + 999);
      expect(runs).toBe(1);
      await scheduler.runDue(T0 + 1000);
      expect(runs).toBe(2);
      await scheduler.stop();
    });
  });

  test("syncing crons is idempotent, recomputes changed schedules and removes jobs", async () => {
    await withDatabase("memory", async ({ database }) => {
      await database.runInTransaction((tx) =>
        syncCronJobs(tx, everySecond, T0),
      );
      const before = database.latestTs;
      await database.runInTransaction((tx) =>
        syncCronJobs(tx, everySecond, T0 + 10),
      );
      expect(database.latestTs).toBeGreaterThanOrEqual(before);
      let tx = database.begin();
      expect(await listCronJobs(tx)).toMatchObject([
        { name: "tick", nextTs: T0 },
      ]);
      tx.close();
      await database.runInTransaction((tx) =>
        syncCronJobs(
          tx,
          {
            tick: {
              ...everySecond.tick,
              schedule: { type: "interval", minutes: 1 },
            },
          },
          T0 + 20,
        ),
      );
      tx = database.begin();
      expect(await listCronJobs(tx)).toMatchObject([{ nextTs: T0 + 20 }]);
      tx.close();
      await database.runInTransaction((tx) => syncCronJobs(tx, null, T0 + 30));
      tx = database.begin();
      expect(await listCronJobs(tx)).toEqual([]);
      tx.close();
    });
  });

  test("a bad schedule fails the sync with Convex's message", async () => {
    await withDatabase("memory", async ({ database }) => {
      await expect(
        database.runInTransaction((tx) =>
          syncCronJobs(
            tx,
            {
              bad: {
                name: "crons:tick",
                args: [{}],
                schedule: { type: "interval" },
              },
            },
            T0,
          ),
        ),
      ).rejects.toThrow();
    });
  });
});
