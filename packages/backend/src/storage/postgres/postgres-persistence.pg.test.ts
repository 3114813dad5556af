import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, test } from "vitest";
import type { Logger } from "../../shared/logger.js";
import { isPersistenceConflict } from "../persistence-error.js";
import { runPersistenceSuite } from "../persistence.suite.js";
import {
  ALL,
  doc,
  entry,
  load,
  scanKeys,
} from "../persistence-suite-support.js";
import {
  createPostgresPersistence,
  type PostgresPersistence,
} from "./postgres-persistence.js";
import { DATABASE_CONNECTION_LOST } from "./postgres-errors.js";
import { SCHEMA_VERSION } from "./postgres-schema.js";
import { createTestDatabase } from "./test-database.js";

/** A fresh database with a persistence on it; disposing closes the pool and drops the database. */
async function createTestPostgresPersistence(): Promise<
  PostgresPersistence & AsyncDisposable
> {
  const database = await createTestDatabase();
  const persistence = await createPostgresPersistence({
    url: database.url,
    maxConnections: 4,
  });
  return Object.assign(persistence, {
    [Symbol.asyncDispose]: async () => {
      await persistence.close();
      await database[Symbol.asyncDispose]();
    },
  });
}

runPersistenceSuite({
  name: "PostgresPersistence",
  create: createTestPostgresPersistence,
});

/** Runs `text` on a short-lived connection to `url`. */
async function sql<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    with: () => logger,
  };
  return logger;
}

describe("PostgresPersistence schema", () => {
  test("processes starting together on a fresh database migrate it exactly once", async () => {
    await using database = await createTestDatabase();
    const lines: string[] = [];
    const logger = recordingLogger(lines);
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map(() =>
        createPostgresPersistence({ url: database.url, logger }),
      ),
    );
    for (const p of [a, b, c]) await p?.close();
    expect(lines.filter((l) => l.startsWith("info migrated"))).toHaveLength(1);
    expect(
      await sql(database.url, "SELECT id, version FROM schema_version"),
    ).toEqual([{ id: 1, version: SCHEMA_VERSION }]);
  });

  test("reopening a database keeps its data and runs no migration", async () => {
    await using database = await createTestDatabase();
    const first = await createPostgresPersistence({ url: database.url });
    await first.write(
      { documents: [doc("t", "a", 1n, { n: 1 })], indexes: [] },
      "Error",
    );
    await first.close();
    const lines: string[] = [];
    const second = await createPostgresPersistence({
      url: database.url,
      logger: recordingLogger(lines),
    });
    try {
      expect(lines).toEqual([]);
      expect((await second.reader().getDocument("t", "a", 1n))?.value).toBe(
        '{"n":1}',
      );
    } finally {
      await second.close();
    }
  });

  test("a database migrated by a newer Hull is refused, leaving no connection open", async () => {
    await using database = await createTestDatabase();
    await (await createPostgresPersistence({ url: database.url })).close();
    await sql(database.url, "UPDATE schema_version SET version = $1", [
      SCHEMA_VERSION + 1,
    ]);
    const applicationName = `hull-${randomBytes(4).toString("hex")}`;
    await expect(
      createPostgresPersistence({ url: database.url, applicationName }),
    ).rejects.toThrow(
      expect.objectContaining({ shortMsg: "PostgresSchemaTooNew" }),
    );
    const open = await sql(
      database.url,
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    expect(open).toEqual([]);
  });

  test("a database that does not exist is reported as such", async () => {
    await using database = await createTestDatabase();
    const url = new URL(database.url);
    url.pathname = `/${database.name}_missing`;
    await expect(
      createPostgresPersistence({ url: url.toString() }),
    ).rejects.toThrow(
      expect.objectContaining({ shortMsg: "PostgresDatabaseMissing" }),
    );
  });
});

describe("PostgresPersistence on a shared database", () => {
  test("two instances on one database see each other's writes", async () => {
    await using database = await createTestDatabase();
    const a = await createPostgresPersistence({ url: database.url });
    const b = await createPostgresPersistence({ url: database.url });
    try {
      await a.write(
        {
          documents: [doc("t", "x", 1n, { by: "a" })],
          indexes: [entry("i", Buffer.from([1]), 1n, false, "t", "x")],
        },
        "Error",
      );
      await b.write(
        {
          documents: [doc("t", "y", 2n, { by: "b" })],
          indexes: [entry("i", Buffer.from([2]), 2n, false, "t", "y")],
        },
        "Error",
      );
      await b.writeGlobal("g", { from: "b" });
      for (const p of [a, b]) {
        const r = p.reader();
        expect(await r.maxTs()).toBe(2n);
        expect(await scanKeys(r, "i", 2n, ALL)).toEqual(["01", "02"]);
        expect(await r.getGlobal("g")).toEqual({ from: "b" });
      }
      const duplicate = b.write(
        { documents: [doc("t", "x", 1n, { by: "b" })], indexes: [] },
        "Error",
      );
      await expect(duplicate).rejects.toSatisfy(isPersistenceConflict);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("int8 columns parse to bigint in the persistence's pool only", async () => {
    await using database = await createTestDatabase();
    const p = await createPostgresPersistence({ url: database.url });
    try {
      const big = 2n ** 63n - 1n;
      await p.write(
        { documents: [doc("t", "a", big, {}, big - 1n)], indexes: [] },
        "Error",
      );
      expect(await load(p.reader(), big, null)).toEqual([
        { tableId: "t", id: "a", ts: big, value: "{}", prevTs: big - 1n },
      ]);
      expect(
        await sql(database.url, "SELECT max(ts) AS max FROM documents"),
      ).toEqual([{ max: String(big) }]);
    } finally {
      await p.close();
    }
  });

  test("a write larger than one INSERT chunk lands whole, or not at all", async () => {
    await using p = await createTestPostgresPersistence();
    const n = 2500;
    const documents = Array.from({ length: n }, (_, i) =>
      doc("t", `d${i}`, BigInt(i + 1), { i }),
    );
    const indexes = documents.map((d, i) =>
      entry("i", Buffer.from([i >> 8, i & 0xff]), d.ts, false, "t", d.id),
    );
    const clash = doc("t", "d0", 1n, { clash: true });
    const failed = p.write(
      { documents: [...documents, clash], indexes },
      "Error",
    );
    await expect(failed).rejects.toSatisfy(isPersistenceConflict);
    expect(await p.reader().maxTs()).toBeNull();
    await p.write({ documents, indexes }, "Error");
    expect(await load(p.reader(), 0n, null)).toHaveLength(n);
    expect(await scanKeys(p.reader(), "i", BigInt(n), ALL)).toHaveLength(n);
  });
});

describe("PostgresPersistence connection loss", () => {
  /** Ends every session of `applicationName` and waits until the server has let them go. */
  async function terminateSessions(
    url: string,
    applicationName: string,
  ): Promise<number> {
    const killed = await sql(
      url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [applicationName],
    );
    await expect
      .poll(() =>
        sql(
          url,
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
          [applicationName],
        ),
      )
      .toEqual([]);
    return killed.length;
  }

  /** Waits until `count` sessions of `applicationName` are blocked on a lock. */
  async function waitForLockWaiters(
    url: string,
    applicationName: string,
    count: number,
  ) {
    await expect
      .poll(async () => {
        const rows = await sql(
          url,
          `SELECT pid FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName],
        );
        return rows.length;
      })
      .toBe(count);
  }

  test("requests in flight fail as retryable, nothing half-written remains, and the pool reconnects", async () => {
    await using database = await createTestDatabase();
    const applicationName = `hull-${randomBytes(4).toString("hex")}`;
    const p = await createPostgresPersistence({
      url: database.url,
      applicationName,
    });
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await p.write(
        { documents: [doc("t", "before", 1n, {})], indexes: [] },
        "Error",
      );
      // Hold the index table: a one-statement write and a scan block on it, and a write too big
      // for one statement stops inside its transaction, its documents inserted, its entries not.
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE indexes IN ACCESS EXCLUSIVE MODE");
      const small = p.write(
        {
          documents: [doc("t", "lost", 2n, {})],
          indexes: [entry("i", Buffer.from([2]), 2n, false, "t", "lost")],
        },
        "Error",
      );
      const bigDocuments = Array.from({ length: 1500 }, (_, i) =>
        doc("t", `big${i}`, BigInt(10 + i), {}),
      );
      const big = p.write(
        {
          documents: bigDocuments,
          indexes: bigDocuments.map((d, i) =>
            entry(
              "i",
              Buffer.from([9, i >> 8, i & 0xff]),
              d.ts,
              false,
              "t",
              d.id,
            ),
          ),
        },
        "Error",
      );
      const read = scanKeys(p.reader(), "i", 2n, ALL);
      const outcomes = Promise.allSettled([small, big, read]);
      await waitForLockWaiters(database.url, applicationName, 3);
      expect(
        await terminateSessions(database.url, applicationName),
      ).toBeGreaterThanOrEqual(3);
      const failures = (await outcomes).map((o): unknown =>
        o.status === "rejected" ? o.reason : o,
      );
      for (const failure of failures) {
        expect(failure).toMatchObject({
          name: "BackendError",
          code: "OperationalInternalServerError",
          shortMsg: DATABASE_CONNECTION_LOST,
        });
      }
      await locker.query("ROLLBACK");

      const r = p.reader();
      expect(await r.getDocument("t", "lost", 2n)).toBeNull();
      expect(await r.getDocument("t", "big0", 10n)).toBeNull();
      expect(await r.maxTs()).toBe(1n);
      await p.write(
        {
          documents: [doc("t", "after", 3n, {})],
          indexes: [entry("i", Buffer.from([3]), 3n, false, "t", "after")],
        },
        "Error",
      );
      expect(await scanKeys(r, "i", 3n, ALL)).toEqual(["03"]);
      expect((await load(r, 0n, null)).map((d) => d.id)).toEqual([
        "before",
        "after",
      ]);
    } finally {
      await locker.end();
      await p.close();
    }
  });

  test("idle connections killed by the server are replaced without failing requests", async () => {
    await using database = await createTestDatabase();
    const applicationName = `hull-${randomBytes(4).toString("hex")}`;
    const lines: string[] = [];
    const p = await createPostgresPersistence({
      url: database.url,
      applicationName,
      logger: recordingLogger(lines),
    });
    try {
      await Promise.all(
        [1n, 2n, 3n].map((ts) => p.reader().getDocument("t", "a", ts)),
      );
      expect(
        await terminateSessions(database.url, applicationName),
      ).toBeGreaterThan(0);
      await p.write(
        { documents: [doc("t", "a", 1n, {})], indexes: [] },
        "Error",
      );
      expect(await p.reader().maxTs()).toBe(1n);
      expect(lines.some((l) => l.startsWith("warn"))).toBe(true);
    } finally {
      await p.close();
    }
  });
});
