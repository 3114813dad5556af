import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { WalSync } from "./wal-sync.js";

const dirs: string[] = [];

function databasePath(withWal: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "hull-wal-sync-"));
  dirs.push(dir);
  const path = join(dir, "db.sqlite3");
  if (withWal) writeFileSync(`${path}-wal`, "frames");
  return path;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true });
});

describe("WalSync", () => {
  test("syncs the WAL file and closes its descriptor", async () => {
    const sync = new WalSync(databasePath(true));
    await sync.sync();
    await sync.sync();
    await sync.close();
  });

  test("callers arriving while a sync runs share the one sync that follows it", async () => {
    const sync = new WalSync(databasePath(true));
    const first = sync.sync();
    const second = sync.sync();
    const third = sync.sync();
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    await sync.close();
  });

  test("fails every later sync once one failed", async () => {
    const path = databasePath(false);
    const sync = new WalSync(path);
    await expect(sync.sync()).rejects.toThrow(/ENOENT/);
    writeFileSync(`${path}-wal`, "frames");
    await expect(sync.sync()).rejects.toThrow(/ENOENT/);
    await sync.close();
  });
});
