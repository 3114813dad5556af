import { describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import { MemoryPersistence } from "../storage/memory/memory-persistence.js";
import { followDeployment } from "./deployment-follower.js";
import { ManifestStore, type AppManifest } from "./deployment-manifest.js";
import { EnvironmentVariables } from "./environment-variables.js";

function manifest(sha256: string): AppManifest {
  return {
    modules: [{ path: "a.js", sha256, environment: "isolate" }],
    analysis: { modules: {}, schema: null },
    udfServerVersion: null,
  } as unknown as AppManifest;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("followDeployment", () => {
  test("activates a manifest another process stored, once, and follows variables", async () => {
    const persistence = new MemoryPersistence();
    const store = new ManifestStore(persistence);
    const activated: AppManifest[] = [];
    const runner = {
      manifest: null as AppManifest | null,
      activate(m: AppManifest): Promise<void> {
        activated.push(m);
        runner.manifest = m;
        return Promise.resolve();
      },
    };
    const vars: Record<string, string>[] = [];
    const environment = await EnvironmentVariables.load(persistence, (v) =>
      vars.push({ ...v }),
    );
    const stop = followDeployment({
      manifests: store,
      runner,
      environment,
      logger: silentLogger,
      intervalMs: 10,
    });
    try {
      await store.save(manifest("1".repeat(64)));
      const other = await EnvironmentVariables.load(persistence, () => {});
      await other.update([{ name: "K", value: "v" }]);
      await until(() => activated.length === 1 && vars.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(activated).toHaveLength(1);
      expect(vars.at(-1)).toEqual({ K: "v" });
    } finally {
      await stop();
    }
  });

  test("does not re-activate what this process deployed itself", async () => {
    const persistence = new MemoryPersistence();
    const store = new ManifestStore(persistence);
    const own = manifest("2".repeat(64));
    let activations = 0;
    const runner = {
      manifest: null as AppManifest | null,
      activate(): Promise<void> {
        activations += 1;
        return Promise.resolve();
      },
    };
    const environment = await EnvironmentVariables.load(persistence, () => {});
    const stop = followDeployment({
      manifests: store,
      runner,
      environment,
      logger: silentLogger,
      intervalMs: 10,
    });
    try {
      await store.save(own);
      runner.manifest = JSON.parse(JSON.stringify(own)) as AppManifest;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(activations).toBe(0);
    } finally {
      await stop();
    }
  });
});
