import { afterEach, describe, expect, test } from "vitest";
import type { Database } from "../engine/database.js";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import { MutationRecords } from "../model/mutation-records.js";
import { systemClock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import { RecordingTransport, type Frame } from "./fake-backend.test-support.js";
import type { SyncRunResult, SyncUdfRequest } from "./sync-deps.js";
import { SyncServer } from "./sync-server.js";

/*
 * Exactly-once mutations over the real engine: the record of a (session, request id) is written
 * in the mutation's own transaction (`beforeCommit`, as the runtime calls it), so a resend to
 * another SyncServer over the same database (a restarted process, or another process) gets the
 * recorded result instead of a second run.
 */

const fixtures: EngineFixture[] = [];
const servers: SyncServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  for (const fixture of fixtures.splice(0))
    await fixture[Symbol.asyncDispose]();
});

/** `log:add` inserts one `log` document and returns how many runs started before it. */
class LogRunner {
  runs = 0;
  /** When set, a first attempt waits for it after its insert (to force a concurrent commit). */
  gate: Promise<void> | null = null;
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async run(request: SyncUdfRequest): Promise<SyncRunResult> {
    const run = ++this.runs;
    let attempt = 0;
    const { value, ts } = await this.#database.runInTransaction(async (tx) => {
      await tx.insert("log", { run });
      if (attempt++ === 0 && this.gate !== null) await this.gate;
      const value = `run ${run}`;
      await request.beforeCommit?.(tx, { value });
      return value;
    });
    return { success: true, value, logLines: [], ts };
  }
}

async function setup() {
  const fixture = await createTestDatabase("sqlite");
  fixtures.push(fixture);
  const { database } = fixture;
  const runner = new LogRunner(database);
  const records = new MutationRecords(database);
  const server = (): SyncServer => {
    const s = new SyncServer({
      functions: runner,
      database,
      auth: {
        checkAdminKey: () => false,
        verifyUserToken: () => Promise.reject(new Error("no")),
      },
      clock: systemClock,
      logger: silentLogger,
      mutationRecords: records,
    });
    servers.push(s);
    return s;
  };
  return { database, runner, server };
}

/** Connects as session `s1` and sends mutation `requestId`; resolves with its response. */
async function deliver(server: SyncServer, requestId: number): Promise<Frame> {
  const transport = new RecordingTransport();
  const session = server.createSession(transport);
  await session.handleFrame(
    JSON.stringify({
      type: "Connect",
      sessionId: "s1",
      connectionCount: 1,
      lastCloseReason: null,
    }),
  );
  await session.handleFrame(
    JSON.stringify({
      type: "Mutation",
      requestId,
      udfPath: "log:add",
      args: [{}],
    }),
  );
  for (let i = 0; i < 100; i++) {
    const response = transport.ofType("MutationResponse")[0];
    if (response !== undefined) return response;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("no MutationResponse");
}

async function logCount(database: Database): Promise<number> {
  const tx = database.begin();
  try {
    return await tx.count("log");
  } finally {
    tx.close();
  }
}

describe("SyncSession exactly-once mutations (engine records)", () => {
  test("a resend to a restarted server gets the recorded result and does not run again", async () => {
    const { database, runner, server } = await setup();
    const before = server();
    expect(await deliver(before, 7)).toMatchObject({
      success: true,
      result: "run 1",
    });
    before.close();
    const after = server();
    expect(await deliver(after, 7)).toMatchObject({
      success: true,
      result: "run 1",
    });
    expect(runner.runs).toBe(1);
    expect(await logCount(database)).toBe(1);
    expect(await deliver(after, 8)).toMatchObject({
      success: true,
      result: "run 2",
    });
    expect(await logCount(database)).toBe(2);
  });

  test("two servers delivering the same request at once commit it once and answer alike", async () => {
    const { database, runner, server } = await setup();
    let release: () => void = () => {};
    runner.gate = new Promise<void>((resolve) => (release = resolve));
    const both = Promise.all([deliver(server(), 3), deliver(server(), 3)]);
    while (runner.runs < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    const [a, b] = await both;
    expect(a).toMatchObject({ success: true });
    expect(b).toMatchObject({ success: true, result: a.result });
    expect(await logCount(database)).toBe(1);
  });

  test("once its record is swept, a request id runs again", async () => {
    const { database, runner, server } = await setup();
    const s = server();
    await deliver(s, 1);
    const records = new MutationRecords(database);
    expect(await records.deleteBefore(Date.now() - 60_000)).toBe(0);
    expect(await records.deleteBefore(Date.now() + 1)).toBe(1);
    s.close();
    expect(await deliver(server(), 1)).toMatchObject({ result: "run 2" });
    expect(runner.runs).toBe(2);
  });
});
