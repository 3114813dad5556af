import { describe, expect, test } from "vitest";
import type { AppManifest } from "./deployment-manifest.js";
import { rerunningAfterActivate } from "./live-query-refresh.js";

const manifest = { modules: [] } as unknown as AppManifest;

describe("rerunningAfterActivate", () => {
  test("re-runs live queries after each successful activation, never after a failed one", async () => {
    let active: AppManifest | null = null;
    let fail = false;
    const reruns: (AppManifest | null)[] = [];
    const runner = rerunningAfterActivate(
      {
        get manifest() {
          return active;
        },
        activate(m) {
          if (fail) return Promise.reject(new Error("bad module"));
          active = m;
          return Promise.resolve();
        },
      },
      () => reruns.push(active),
    );
    await runner.activate(manifest);
    expect(runner.manifest).toBe(manifest);
    expect(reruns).toEqual([manifest]);
    fail = true;
    await expect(runner.activate(manifest)).rejects.toThrow("bad module");
    expect(reruns).toHaveLength(1);
  });
});
