import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { issueAdminKey } from "../auth/admin-key.js";
import { silentLogger } from "../shared/logger.js";
import { Backend } from "./backend.js";
import { loadOrCreateCredentials } from "./credentials.js";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "hull-backend-"));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

function backendIn(dataDir: string, port = 0): Backend {
  const backend = new Backend({
    dataDir,
    host: "127.0.0.1",
    port,
    sitePort: 0,
    logger: silentLogger,
  });
  cleanups.push(() => backend.stop());
  return backend;
}

describe("Backend", () => {
  test("serves health checks and admin keys from its data directory, then stops cleanly", async () => {
    const dataDir = await tempDir();
    const backend = backendIn(dataDir);
    const { cloudOrigin, siteOrigin, instanceName } = await backend.start();
    expect(instanceName).toBe("hull");
    expect(await (await fetch(`${cloudOrigin}/version`)).text()).toMatch(
      /^\d+\.\d+\.\d+/,
    );
    const key = issueAdminKey(await loadOrCreateCredentials(dataDir), {
      nowMs: Date.now(),
      randomBytes: (n) => new Uint8Array(n).fill(1),
    });
    const check = await fetch(`${cloudOrigin}/api/check_admin_key`, {
      headers: { Authorization: `Convex ${key}` },
    });
    expect(check.status).toBe(200);
    const noApp = await fetch(`${cloudOrigin}/api/query`, {
      method: "POST",
      body: JSON.stringify({ path: "messages:list", args: {} }),
    });
    expect(await noApp.json()).toMatchObject({ status: "error" });
    expect((await fetch(`${siteOrigin}/anything`)).status).toBe(404);
    await backend.stop();
    await expect(fetch(`${cloudOrigin}/version`)).rejects.toThrow();
    await backend.run();
  });

  test("a taken port fails the start with a clear message and leaves nothing open", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(0, "127.0.0.1", resolve),
    );
    cleanups.push(
      () => new Promise((resolve) => blocker.close(() => resolve())),
    );
    const port = (blocker.address() as net.AddressInfo).port;
    const backend = backendIn(await tempDir(), port);
    await expect(backend.start()).rejects.toMatchObject({
      shortMsg: "PortUnavailable",
    });
  });
});
