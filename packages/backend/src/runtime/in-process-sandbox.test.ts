import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InProcessSandbox } from "./in-process-sandbox.js";
import { writeModuleFiles } from "./module-files.js";
import type { InvocationSpec } from "./sandbox/executor.js";
import type { SyscallChannel } from "./sandbox/invocation.js";
import { SERVER, testModule } from "./test-modules.test-support.js";

const source = `
import { queryGeneric as query, actionGeneric as action } from ${JSON.stringify(SERVER)};
export const dates = query({ handler: async () => {
  const d = new Date();
  return [d instanceof Date, new Date(0).getTime(), typeof Date(), Date.UTC(1970, 0, 2), d.getTime()];
} });
export const bytes = query({ handler: async () => Array.from(crypto.getRandomValues(new Uint8Array(6))) });
export const env = query({ handler: async () => [process.env.SECRET ?? null, Object.keys(process.env)] });
export const actionEnv = action({ handler: async () => process.env.SECRET ?? null });
`;

let cacheDir: string;
let sandbox: InProcessSandbox;
let nextId = 1;

const channel: SyscallChannel = {
  asyncSyscall: () => Promise.reject(new Error("no host in this test")),
  syncSyscall: () => "null",
  notify: () => {},
};

function spec(
  name: string,
  kind: InvocationSpec["kind"] = "query",
): InvocationSpec {
  return {
    id: nextId++,
    modulePath: "m.js",
    functionName: name,
    kind,
    argsJson: "[{}]",
    requestId: "r",
    nowMs: 86_400_000,
    seed: [9, 8, 7, 6],
    snapshotTsJson: null,
    timeLimitMs: 1000,
    wallClockLimitMs: 5000,
  };
}

async function result(name: string, kind: InvocationSpec["kind"] = "query") {
  const outcome = await sandbox.run(spec(name, kind), channel);
  if (outcome.type !== "success") throw new Error(outcome.failure.message);
  return JSON.parse(outcome.resultJson) as unknown;
}

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "hull-in-process-"));
  const dir = await writeModuleFiles(cacheDir, [testModule("m.js", source)]);
  sandbox = await InProcessSandbox.start({
    deploymentDir: dir,
    modulePaths: ["m.js"],
    environments: {},
    environmentVariables: { SECRET: "s3cret" },
  });
});

afterAll(async () => {
  await sandbox.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe("InProcessSandbox", () => {
  test("freezes Date inside queries while keeping its other behaviour", async () => {
    expect(await result("dates")).toEqual([
      true,
      0,
      "string",
      86_400_000,
      86_400_000,
    ]);
    expect(Date.now()).toBeGreaterThan(86_400_000);
  });

  test("derives crypto randomness from the invocation's seed", async () => {
    const first = await result("bytes");
    expect(await result("bytes")).toEqual(first);
    const host = crypto.getRandomValues(new Uint8Array(6));
    expect(host).toHaveLength(6);
  });

  test("shows deployment variables to user code and the real environment to the host", async () => {
    expect(await result("env")).toEqual(["s3cret", ["SECRET"]]);
    expect(await result("actionEnv", "action")).toBe("s3cret");
    expect(process.env.SECRET).toBeUndefined();
    expect(process.env.PATH).toBeDefined();
  });

  test("refuses syscalls outside any invocation", () => {
    const convex = (
      globalThis as unknown as {
        Convex: { syscall(op: string, args: string): string };
      }
    ).Convex;
    expect(() => convex.syscall("1.0/queryStream", "{}")).toThrow(
      /at import time/,
    );
  });
});
