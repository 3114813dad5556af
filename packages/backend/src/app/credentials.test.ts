import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { deriveInstanceKey, loadOrCreateCredentials } from "./credentials.js";

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(
    dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })),
  );
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "hull-credentials-"));
  dirs.push(dir);
  return dir;
}

describe("loadOrCreateCredentials", () => {
  test("the first call creates a 64-hex secret in credentials/instance_secret, readable only by the owner", async () => {
    const dir = await tempDir();
    const credentials = await loadOrCreateCredentials(dir);
    expect(credentials.instanceName).toBe("hull");
    expect(credentials.instanceSecret).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dir, "credentials", "instance_secret");
    expect((await fs.readFile(file, "utf8")).trim()).toBe(
      credentials.instanceSecret,
    );
    expect((await fs.stat(file)).mode & 0o077).toBe(0);
  });

  test("later calls read the same secret and the stored name", async () => {
    const dir = await tempDir();
    const first = await loadOrCreateCredentials(dir, {
      instanceName: "my-app",
    });
    const second = await loadOrCreateCredentials(dir);
    expect(second).toEqual(first);
    expect(second.instanceName).toBe("my-app");
  });

  test("an explicit secret is used and not stored", async () => {
    const dir = await tempDir();
    const secret = "AB".repeat(32);
    const credentials = await loadOrCreateCredentials(dir, {
      instanceSecret: secret,
    });
    expect(credentials.instanceSecret).toBe(secret.toLowerCase());
    await expect(
      fs.stat(path.join(dir, "credentials", "instance_secret")),
    ).rejects.toThrow();
  });

  test("a malformed secret or instance name is refused with a clear message", async () => {
    const dir = await tempDir();
    await expect(
      loadOrCreateCredentials(dir, { instanceSecret: "short" }),
    ).rejects.toThrow(/64 hex characters/);
    await expect(
      loadOrCreateCredentials(dir, { instanceName: "Bad|Name" }),
    ).rejects.toThrow(/Invalid instance name/);
  });

  test("derived keys are stable per secret and purpose", async () => {
    const credentials = await loadOrCreateCredentials(await tempDir());
    const a = deriveInstanceKey(credentials, "cursors");
    expect(a).toHaveLength(32);
    expect(deriveInstanceKey(credentials, "cursors")).toEqual(a);
    expect(deriveInstanceKey(credentials, "other")).not.toEqual(a);
  });
});
