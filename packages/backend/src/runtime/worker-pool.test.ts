import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import { writeModuleFiles } from "./module-files.js";
import type { InvocationSpec } from "./sandbox/executor.js";
import {
  SyscallError,
  type SyscallChannel,
  type SyscallReply,
} from "./sandbox/invocation.js";
import { SandboxLostError } from "./sandbox-host.js";
import { SERVER, testModule } from "./test-modules.test-support.js";
import { ModuleLoadFailure } from "./pooled-worker.js";
import { WorkerPool } from "./worker-pool.js";

const source = `
import { queryGeneric as query, mutationGeneric as mutation, actionGeneric as action } from ${JSON.stringify(SERVER)};
import { ConvexError } from ${JSON.stringify(SERVER.replace("server", "values"))};
export const add = query({ handler: async (_ctx, { a, b }) => a + b });
export const clock = query({ handler: async () => [Date.now(), new Date().getTime(), Math.random(), crypto.randomUUID()] });
export const logs = query({ handler: async () => { console.log("hello", 42); console.warn({ a: 1 }); return null; } });
export const useFetch = query({ handler: async () => { await fetch("http://127.0.0.1:1/"); } });
export const useTimer = mutation({ handler: async () => { setTimeout(() => {}, 1); } });
export const loop = query({ handler: async () => { for (;;) {} } });
export const asyncLoop = query({ handler: async (ctx) => { for (;;) { await ctx.db.get("x"); let s = 0; for (let i = 0; i < 1e6; i++) s += i; } } });
export const getDoc = query({ handler: async (ctx, { id }) => ctx.db.get(id) });
export const fails = query({ handler: async () => { throw new Error("boom"); } });
export const convexError = mutation({ handler: async () => { throw new ConvexError({ code: 7n }); } });
export const hog = action({ handler: async () => { const hoard = []; for (;;) hoard.push(new Array(100000).fill(hoard.length)); } });
export const actionTime = action({ handler: async () => Date.now() });
`;

let dir: string;
let cacheDir: string;
let pool: WorkerPool;
let nextId = 1;

function spec(
  name: string,
  args: object = {},
  kind: InvocationSpec["kind"] = "query",
): InvocationSpec {
  return {
    id: nextId++,
    modulePath: "m.js",
    functionName: name,
    kind,
    argsJson: JSON.stringify([args]),
    requestId: "r",
    nowMs: 1_000_000,
    seed: [1, 2, 3, 4],
    snapshotTsJson: '{"$integer":"AQAAAAAAAAA="}',
    timeLimitMs: 300,
    wallClockLimitMs: 5_000,
  };
}

const calls: { op: string; argsJson: string }[] = [];
const channel: SyscallChannel = {
  asyncSyscall: (op, argsJson): Promise<SyscallReply> => {
    calls.push({ op, argsJson });
    if (op === "1.0/get") {
      const { id } = JSON.parse(argsJson) as { id: string };
      if (id === "missing")
        return Promise.reject(new SyscallError("no such doc"));
      return Promise.resolve({ result: JSON.stringify({ _id: id, n: 1 }) });
    }
    return Promise.reject(new SyscallError(`unexpected ${op}`));
  },
  syncSyscall: () => "null",
  notify: () => {},
};

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "hull-pool-"));
  dir = await writeModuleFiles(cacheDir, [testModule("m.js", source)]);
  pool = await WorkerPool.start({
    worker: {
      deploymentDir: dir,
      modulePaths: ["m.js"],
      environments: {},
      environmentVariables: { GREETING: "hi" },
      memoryMb: 128,
    },
    size: 2,
    shortestLimitMs: 300,
    logger: silentLogger,
  });
});

afterAll(async () => {
  await pool.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe("WorkerPool", () => {
  test("runs a query and returns its convex-JSON result", async () => {
    const outcome = await pool.run(spec("add", { a: 1, b: 2 }), channel);
    expect(outcome).toMatchObject({ type: "success", resultJson: "3" });
  });

  test("freezes time and seeds randomness in queries", async () => {
    const first = await pool.run(spec("clock"), channel);
    const second = await pool.run(spec("clock"), channel);
    expect(first.type).toBe("success");
    if (first.type !== "success" || second.type !== "success") return;
    const [now, dateNow, random, uuid] = JSON.parse(first.resultJson) as [
      number,
      number,
      number,
      string,
    ];
    expect(now).toBe(1_000_000);
    expect(dateNow).toBe(1_000_000);
    expect(random).toBeGreaterThanOrEqual(0);
    expect(uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(second.resultJson).toBe(first.resultJson);
  });

  test("actions see real time", async () => {
    const outcome = await pool.run(spec("actionTime", {}, "action"), channel);
    if (outcome.type !== "success") throw new Error(JSON.stringify(outcome));
    expect(Math.abs(Number(outcome.resultJson) - Date.now())).toBeLessThan(
      10_000,
    );
  });

  test("captures console output as Convex log lines", async () => {
    const outcome = await pool.run(spec("logs"), channel);
    expect(
      outcome.logLines.map((l) => [l.level, l.messages.join(" ")]),
    ).toEqual([
      ["LOG", "'hello' 42"],
      ["WARN", "{ a: 1 }"],
    ]);
  });

  test("refuses fetch and timers in queries and mutations", async () => {
    const fetched = await pool.run(spec("useFetch"), channel);
    expect(fetched).toMatchObject({
      type: "failure",
      failure: {
        message: expect.stringContaining(
          "Uncaught Error: Can't use fetch() in queries and mutations. Please consider using an action.",
        ) as unknown,
      },
    });
    const timer = await pool.run(spec("useTimer", {}, "mutation"), channel);
    expect(timer).toMatchObject({
      failure: {
        message: expect.stringContaining(
          "Can't use setTimeout in queries and mutations",
        ) as unknown,
      },
    });
  });

  test("routes syscalls to the channel and rejections back to user code", async () => {
    calls.length = 0;
    const outcome = await pool.run(spec("getDoc", { id: "abc" }), channel);
    expect(outcome).toMatchObject({
      type: "success",
      resultJson: '{"_id":"abc","n":1}',
    });
    expect(calls).toEqual([
      {
        op: "1.0/get",
        argsJson: '{"id":"abc","isSystem":false,"version":"1.48.0"}',
      },
    ]);
    const failed = await pool.run(spec("getDoc", { id: "missing" }), channel);
    expect(failed).toMatchObject({
      type: "failure",
      failure: {
        message: expect.stringMatching(
          /^Uncaught Error: no such doc/,
        ) as unknown,
      },
    });
  });

  test("reports uncaught errors with user stack frames and ConvexError data", async () => {
    const failed = await pool.run(spec("fails"), channel);
    if (failed.type !== "failure") throw new Error("expected a failure");
    expect(failed.failure.message).toMatch(
      /^Uncaught Error: boom\n {4}at .*\(m\.js:\d+:\d+\)/,
    );
    const convexError = await pool.run(
      spec("convexError", {}, "mutation"),
      channel,
    );
    expect(convexError).toMatchObject({
      type: "failure",
      failure: {
        message: 'Uncaught ConvexError: {"code":"7n"}',
        data: { code: { $integer: "BwAAAAAAAAA=" } },
      },
    });
  });

  test("stops a runaway loop, blames it, and keeps serving", async () => {
    const looping = pool.run(spec("loop"), channel);
    const bystander = pool.run(spec("add", { a: 1, b: 1 }), channel);
    const outcome = await looping;
    expect(outcome).toMatchObject({
      type: "failure",
      timedOut: true,
      failure: {
        message: "Function execution timed out (maximum duration: 0.3s)",
      },
    });
    const settled = await bystander.catch((e: unknown) => e);
    if (settled instanceof Error)
      expect(settled).toBeInstanceOf(SandboxLostError);
    else expect(settled).toMatchObject({ type: "success" });
    expect(await pool.run(spec("add", { a: 2, b: 2 }), channel)).toMatchObject({
      resultJson: "4",
    });
  });

  test("stops a function that allocates without bound and keeps serving", async () => {
    const outcome = await pool.run(
      { ...spec("hog", {}, "action"), timeLimitMs: 60_000 },
      channel,
    );
    expect(outcome).toMatchObject({
      type: "failure",
      failure: {
        message:
          "JavaScript execution ran out of memory (maximum memory usage: 128 MB)",
      },
    });
    expect(await pool.run(spec("add", { a: 3, b: 3 }), channel)).toMatchObject({
      resultJson: "6",
    });
  });

  test("stops an async loop of syscalls at its user-time limit", async () => {
    const outcome = await pool.run(spec("asyncLoop"), channel);
    expect(outcome).toMatchObject({ type: "failure", timedOut: true });
  });
});

describe("WorkerPool.start", () => {
  test("fails with the module's error when a module throws at import time", async () => {
    const bad = await writeModuleFiles(cacheDir, [
      testModule("bad.js", 'throw new Error("at import");'),
    ]);
    const started = WorkerPool.start({
      worker: {
        deploymentDir: bad,
        modulePaths: ["bad.js"],
        environments: {},
        environmentVariables: {},
        memoryMb: 64,
      },
      size: 1,
      shortestLimitMs: 1000,
      logger: silentLogger,
    });
    await expect(started).rejects.toBeInstanceOf(ModuleLoadFailure);
    await expect(started).rejects.toThrow(/^Uncaught Error: at import/);
  });
});
