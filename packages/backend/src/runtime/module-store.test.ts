import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  FileModuleStore,
  MemoryModuleStore,
  hashModule,
} from "./module-store.js";

describe("hashModule", () => {
  test("hashes source then source map, as the CLI does", () => {
    const expected = createHash("sha256")
      .update("code")
      .update("map")
      .digest("hex");
    expect(hashModule("code", "map")).toBe(expected);
    expect(hashModule("code", undefined)).toBe(
      createHash("sha256").update("code").digest("hex"),
    );
  });
});

describe("FileModuleStore", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("stores content by hash and reads it back from a new instance", async () => {
    dir = await mkdtemp(join(tmpdir(), "hull-modules-"));
    const sha = await new FileModuleStore(dir).put({
      source: "export const a = 1;",
      sourceMap: "{}",
    });
    expect(sha).toBe(hashModule("export const a = 1;", "{}"));
    expect(await new FileModuleStore(dir).get(sha)).toEqual({
      source: "export const a = 1;",
      sourceMap: "{}",
    });
  });

  test("keeps modules without a source map apart from those with one", async () => {
    dir = await mkdtemp(join(tmpdir(), "hull-modules-"));
    const store = new FileModuleStore(dir);
    const plain = await store.put({ source: "x" });
    expect(await store.get(plain)).toEqual({ source: "x" });
  });

  test("answers null for unknown or malformed hashes", async () => {
    dir = await mkdtemp(join(tmpdir(), "hull-modules-"));
    const store = new FileModuleStore(dir);
    expect(await store.get("0".repeat(64))).toBeNull();
    expect(await store.get("../etc/passwd")).toBeNull();
  });
});

describe("MemoryModuleStore", () => {
  test("round-trips content by hash", async () => {
    const store = new MemoryModuleStore();
    const sha = await store.put({ source: "s" });
    expect(await store.get(sha)).toEqual({ source: "s" });
    expect(await store.get("f".repeat(64))).toBeNull();
  });
});
