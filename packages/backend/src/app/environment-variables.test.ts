import { describe, expect, test } from "vitest";
import { MemoryPersistence } from "../storage/memory/memory-persistence.js";
import { EnvironmentVariables } from "./environment-variables.js";

describe("EnvironmentVariables", () => {
  test("updates are stored, survive a reload and reach the listener", async () => {
    const persistence = new MemoryPersistence();
    const seen: Record<string, string>[] = [];
    const vars = await EnvironmentVariables.load(persistence, (v) =>
      seen.push({ ...v }),
    );
    await vars.update([
      { name: "API_KEY", value: "secret" },
      { name: "MODE", value: "dev" },
    ]);
    await vars.update([{ name: "MODE", value: null }]);
    expect(vars.all()).toEqual({ API_KEY: "secret" });
    expect(seen).toEqual([
      {},
      { API_KEY: "secret", MODE: "dev" },
      { API_KEY: "secret" },
    ]);
    const reloaded = await EnvironmentVariables.load(persistence, () => {});
    expect(reloaded.all()).toEqual({ API_KEY: "secret" });
  });

  test("reload picks up another process's update and tells the listener only on a change", async () => {
    const persistence = new MemoryPersistence();
    const writer = await EnvironmentVariables.load(persistence, () => {});
    const seen: Record<string, string>[] = [];
    const follower = await EnvironmentVariables.load(persistence, (v) =>
      seen.push({ ...v }),
    );
    await writer.update([{ name: "MODE", value: "prod" }]);
    await follower.reload();
    await follower.reload();
    expect(follower.all()).toEqual({ MODE: "prod" });
    expect(seen).toEqual([{}, { MODE: "prod" }]);
  });

  test("an invalid name or value rejects the whole update", async () => {
    const vars = await EnvironmentVariables.load(
      new MemoryPersistence(),
      () => {},
    );
    await expect(
      vars.update([
        { name: "GOOD", value: "1" },
        { name: "1BAD", value: "2" },
      ]),
    ).rejects.toMatchObject({
      code: "BadRequest",
      shortMsg: "InvalidEnvironmentVariable",
    });
    await expect(
      vars.update([{ name: "BIG", value: "x".repeat(9000) }]),
    ).rejects.toThrow(/larger than 8192 bytes/);
    expect(vars.all()).toEqual({});
  });
});
