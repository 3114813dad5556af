import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { hashModule } from "../runtime/module-store.js";
import { silentLogger } from "../shared/logger.js";
import { MemoryPersistence } from "../storage/memory/memory-persistence.js";
import {
  openDeploymentStorage,
  PersistenceModuleStore,
} from "./deployment-storage.js";

describe("PersistenceModuleStore", () => {
  test("stores modules by the CLI's sha256 and reads them back, source maps included", async () => {
    const store = new PersistenceModuleStore(new MemoryPersistence());
    const plain = { source: "export const a = 1;" };
    const mapped = { source: "export const b = 2;", sourceMap: "{}" };
    const plainHash = await store.put(plain);
    const mappedHash = await store.put(mapped);
    expect(plainHash).toBe(hashModule(plain.source, undefined));
    expect(await store.get(plainHash)).toEqual(plain);
    expect(await store.get(mappedHash)).toEqual(mapped);
    expect(await store.get("0".repeat(64))).toBeNull();
  });
});

describe("openDeploymentStorage", () => {
  test("without a database URL it is SQLite in the data directory, not shared", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "hull-storage-"));
    try {
      const storage = await openDeploymentStorage({
        dataDir,
        logger: silentLogger,
      });
      expect(storage.shared).toBe(false);
      expect(storage.persistence.sharedLog).toBeUndefined();
      const first = await storage.credentials({});
      const again = await storage.credentials({});
      expect(again).toEqual(first);
      await storage.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
