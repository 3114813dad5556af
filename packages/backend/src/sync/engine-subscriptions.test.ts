import { afterEach, describe, expect, test } from "vitest";
import type { Database } from "../engine/database.js";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import { systemClock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import { convexToJson } from "../values/json.js";
import type { JsonValue } from "../values/value.js";
import { RecordingTransport, type Frame } from "./fake-backend.test-support.js";
import type { SyncRunResult, SyncUdfRequest } from "./sync-deps.js";
import { SyncServer } from "./sync-server.js";

/*
 * The sync layer over the real engine: read sets come from real transactions and invalidation
 * from the engine's commit notifications. Functions are written directly against transactions
 * (no sandbox), so this tests the seam between `sync/` and `engine/` alone.
 */

const fixtures: EngineFixture[] = [];
const servers: SyncServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  for (const fixture of fixtures.splice(0))
    await fixture[Symbol.asyncDispose]();
});

function argsOf(request: SyncUdfRequest): Record<string, JsonValue> {
  const args = Array.isArray(request.args) ? request.args[0] : request.args;
  return (args ?? {}) as Record<string, JsonValue>;
}

function engineRunner(database: Database, runs: Map<string, number>) {
  return async (request: SyncUdfRequest): Promise<SyncRunResult> => {
    runs.set(request.udfPath, (runs.get(request.udfPath) ?? 0) + 1);
    const args = argsOf(request);
    const table = typeof args.table === "string" ? args.table : "missing";
    if (request.udfType === "mutation") {
      const { ts } = await database.runInTransaction((tx) =>
        tx.insert(table, { body: args.body ?? null }),
      );
      return { success: true, value: null, logLines: [], ts };
    }
    const tx = database.begin({ readTs: request.readTs });
    try {
      const stream = tx.query({
        source: {
          type: "FullTableScan",
          tableName: table,
          order: "asc",
        },
        operators: [],
      });
      const bodies: JsonValue[] = [];
      for (
        let doc = await stream.next();
        doc !== null;
        doc = await stream.next()
      ) {
        bodies.push(convexToJson(doc.body ?? null));
      }
      return {
        success: true,
        value: bodies,
        logLines: [],
        ts: tx.readTs,
        readSet: tx.readSet,
        usedAuth: false,
      };
    } finally {
      tx.close();
    }
  };
}

async function setup() {
  const fixture = await createTestDatabase("memory");
  fixtures.push(fixture);
  const runs = new Map<string, number>();
  const server = new SyncServer({
    functions: { run: engineRunner(fixture.database, runs) },
    database: fixture.database,
    auth: {
      checkAdminKey: () => false,
      verifyUserToken: () => Promise.reject(new Error("no")),
    },
    clock: systemClock,
    logger: silentLogger,
  });
  servers.push(server);
  const transport = new RecordingTransport();
  const session = server.createSession(transport);
  await session.handleFrame(
    JSON.stringify({
      type: "Connect",
      sessionId: "s",
      connectionCount: 0,
      lastCloseReason: null,
    }),
  );
  return { fixture, runs, server, transport, session };
}

async function settle(server: SyncServer): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await server.hub.idle();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("SyncServer over the engine", () => {
  test("re-runs a subscribed table scan when a mutation inserts into that table only", async () => {
    const { fixture, runs, server, transport, session } = await setup();
    await session.handleFrame(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: 0,
        newVersion: 1,
        modifications: [
          {
            type: "Add",
            queryId: 0,
            udfPath: "list",
            args: [{ table: "messages" }],
          },
        ],
      }),
    );
    await settle(server);
    expect((transport.last()?.modifications as Frame[])[0]).toMatchObject({
      value: [],
    });

    await session.handleFrame(
      JSON.stringify({
        type: "Mutation",
        requestId: 0,
        udfPath: "send",
        args: [{ table: "messages", body: "hi" }],
      }),
    );
    await settle(server);
    const [response, transition] = transport.take().slice(-2);
    expect(response).toMatchObject({ type: "MutationResponse", success: true });
    expect((transition?.modifications as Frame[])[0]).toMatchObject({
      value: ["hi"],
    });
    const listRuns = runs.get("list");

    await fixture.database.runInTransaction((tx) =>
      tx.insert("other", { body: "x" }),
    );
    await settle(server);
    expect(runs.get("list")).toBe(listRuns);
    expect(transport.take()).toEqual([]);

    await fixture.database.runInTransaction((tx) =>
      tx.insert("messages", { body: "again" }),
    );
    await settle(server);
    expect((transport.last()?.modifications as Frame[])[0]).toMatchObject({
      value: ["hi", "again"],
    });
  });
});
