import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { collect } from "../persistence-suite-support.js";
import { crashKey, ROWS_PER_COMMIT } from "./sqlite-crash.child.js";
import {
  SqlitePersistence,
  type SqliteSynchronous,
} from "./sqlite-persistence.js";

const CHILD = fileURLToPath(
  new URL("./sqlite-crash.child.ts", import.meta.url),
);
const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null)
      child.kill("SIGKILL");
  }
  children.clear();
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the writer child on `path` until it has acknowledged `acks` commits, kills it with SIGKILL,
 * waits for it to die, and returns the last acknowledged ts.
 */
async function commitThenKill(
  path: string,
  synchronous: SqliteSynchronous,
  acks: number,
): Promise<bigint> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, path, synchronous],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.add(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  let last = 0n;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    last = BigInt(line);
    if (++seen === acks) {
      child.kill("SIGKILL");
      break;
    }
  }
  expect(await exited, "the writer was killed, not finished").toBe("SIGKILL");
  expect(seen).toBe(acks);
  return last;
}

/** Checks that commits 1..n are all complete for some n >= lastAcked, and nothing else exists. */
async function expectWholeCommits(
  path: string,
  lastAcked: bigint,
): Promise<void> {
  const p = SqlitePersistence.open({ path });
  try {
    const r = p.reader();
    const maxTs = (await r.maxTs()) ?? 0n;
    expect(maxTs).toBeGreaterThanOrEqual(lastAcked);
    const perTs = new Map<bigint, number>();
    for (const d of await collect(
      r.loadDocuments({ start: 0n, end: null }, "asc"),
    )) {
      perTs.set(d.ts, (perTs.get(d.ts) ?? 0) + 1);
    }
    expect(perTs.size).toBe(Number(maxTs));
    for (const [ts, count] of perTs)
      expect(count, `documents of commit ${ts}`).toBe(ROWS_PER_COMMIT);
    for (const indexId of ["a", "b"] as const) {
      const entries = await collect(
        r.indexScan(
          indexId,
          maxTs,
          { start: new Uint8Array(0), end: null },
          "asc",
        ),
      );
      expect(entries.length, `entries of index ${indexId}`).toBe(
        Number(maxTs) * ROWS_PER_COMMIT,
      );
      const keys = new Set(
        entries.map((e) => Buffer.from(e.key).toString("hex")),
      );
      for (let ts = 1n; ts <= maxTs; ts++) {
        for (let row = 0; row < ROWS_PER_COMMIT; row++) {
          const key = Buffer.from(crashKey(indexId, ts, row)).toString("hex");
          expect(
            keys.has(key),
            `index ${indexId} has commit ${ts} row ${row}`,
          ).toBe(true);
        }
      }
    }
  } finally {
    await p.close();
  }
}

describe("SqlitePersistence under SIGKILL", () => {
  test("keeps every acknowledged commit whole and never a part of one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hull-sqlite-crash-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite3");
    const rounds: [SqliteSynchronous, number][] = [
      ["full", 200],
      ["full", 200],
      ["normal", 300],
    ];
    for (const [synchronous, acks] of rounds) {
      const lastAcked = await commitThenKill(path, synchronous, acks);
      await expectWholeCommits(path, lastAcked);
    }
  }, 60_000);
});
