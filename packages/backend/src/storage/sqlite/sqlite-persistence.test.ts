import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { runPersistenceSuite } from "../persistence.suite.js";
import {
  ALL,
  bytes,
  doc,
  entry,
  scanKeys,
} from "../persistence-suite-support.js";
import { openSqliteDatabase } from "./sqlite-database.js";
import { SqlitePersistence } from "./sqlite-persistence.js";
import { SQLITE_SCHEMA_VERSION } from "./sqlite-schema.js";
import { SQLITE_READ_SQL } from "./sqlite-statements.js";

const dirs: string[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "hull-sqlite-"));
  dirs.push(dir);
  return join(dir, "db.sqlite3");
}

afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

runPersistenceSuite({
  name: "SqlitePersistence",
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), "hull-sqlite-"));
    const p = SqlitePersistence.open({ path: join(dir, "db.sqlite3") });
    return Promise.resolve(
      Object.assign(p, {
        [Symbol.asyncDispose]: async () => {
          await p.close();
          rmSync(dir, { recursive: true, force: true });
        },
      }),
    );
  },
});

describe("SqlitePersistence files", () => {
  test("keeps documents, index entries and globals across close and reopen", async () => {
    const path = tempPath();
    const first = SqlitePersistence.open({ path });
    await first.write(
      {
        documents: [doc("t", "a", 7n, { v: 1 })],
        indexes: [entry("i", bytes(1, 2), 7n, false, "t", "a")],
      },
      "Error",
    );
    await first.writeGlobal("g", { n: 1 });
    await first.close();
    const second = SqlitePersistence.open({ path });
    const r = second.reader();
    expect(await r.maxTs()).toBe(7n);
    expect((await r.getDocument("t", "a", 7n))?.value).toBe('{"v":1}');
    expect(await scanKeys(r, "i", 7n, ALL)).toEqual(["0102"]);
    expect(await r.getGlobal("g")).toEqual({ n: 1 });
    await second.close();
  });

  test("runs in WAL mode with synchronous FULL by default and NORMAL on request", async () => {
    const path = tempPath();
    const full = SqlitePersistence.open({ path });
    expect(full.synchronous).toBe("full");
    await full.close();
    const normal = SqlitePersistence.open({ path, synchronous: "normal" });
    expect(normal.synchronous).toBe("normal");
    await normal.close();
    const db = openSqliteDatabase(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  test("records the layout version and refuses a file from a newer Hull", async () => {
    const path = tempPath();
    await SqlitePersistence.open({ path }).close();
    const db = openSqliteDatabase(path);
    const version = db
      .prepare("SELECT version FROM persistence_schema")
      .pluck();
    expect(version.get()).toBe(SQLITE_SCHEMA_VERSION);
    db.prepare("UPDATE persistence_schema SET version = ?").run(
      SQLITE_SCHEMA_VERSION + 1,
    );
    db.close();
    expect(() => SqlitePersistence.open({ path })).toThrow(
      /newer than this Hull supports/,
    );
  });

  test("refuses a file that is not a SQLite database", () => {
    const path = tempPath();
    writeFileSync(
      path,
      "not a database, just some text that is long enough to have a header",
    );
    expect(() => SqlitePersistence.open({ path })).toThrow(
      /Storage operation open failed/,
    );
  });

  test("fails every operation after close", async () => {
    const p = SqlitePersistence.open({ path: tempPath() });
    await p.close();
    await expect(p.reader().maxTs()).rejects.toThrow(/closed/);
    await expect(
      p.write({ documents: [], indexes: [] }, "Error"),
    ).rejects.toThrow(/closed/);
  });

  test("plans every read as an indexed search without a temporary sort", async () => {
    const path = tempPath();
    await SqlitePersistence.open({ path }).close();
    const db = openSqliteDatabase(path);
    for (const [name, sql] of Object.entries(SQLITE_READ_SQL)) {
      const named = [...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], 1]);
      const params: unknown[] =
        named.length > 0
          ? [Object.fromEntries(named)]
          : Array<number>(sql.split("?").length - 1).fill(1);
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      expect(plan.join("; "), name).toMatch(
        /SEARCH (documents|indexes|d) USING (PRIMARY KEY|COVERING INDEX|INDEX)/,
      );
      expect(plan.join("; "), name).not.toMatch(
        /SCAN (documents|indexes)|TEMP B-TREE/,
      );
    }
    db.close();
  });
});
