import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import { silentLogger } from "../shared/logger.js";
import type { JsonValue } from "../values/value.js";
import type { AppManifest } from "./deployment.js";
import { FunctionRunner, type UdfRequest } from "./function-runner.js";
import { MemoryModuleStore } from "./module-store.js";
import { APP_MODULES, pushApp } from "./test-app.test-support.js";
import { SERVER, testModule } from "./test-modules.test-support.js";

let fixture: EngineFixture;
let cacheDir: string;
let store: MemoryModuleStore;
let manifest: AppManifest;
let runner: FunctionRunner;

beforeAll(async () => {
  fixture = await createTestDatabase("memory");
  cacheDir = await mkdtemp(join(tmpdir(), "hull-runner-"));
  store = new MemoryModuleStore();
  manifest = await pushApp(store);
  runner = FunctionRunner.create({
    database: fixture.database,
    moduleStore: store,
    logger: silentLogger,
    cacheDir,
    workers: 2,
    limits: { queryMutationTimeoutMs: 250, queryMutationWallClockMs: 1500 },
  });
  runner.setEnvironmentVariables({ GREETING: "hello" });
  await runner.activate(manifest);
});

afterAll(async () => {
  await runner.close();
  await fixture[Symbol.asyncDispose]();
  await rm(cacheDir, { recursive: true, force: true });
});

function call(
  udfPath: string,
  args: JsonValue = {},
  extra: Partial<UdfRequest> = {},
) {
  return runner.run({
    udfPath,
    args,
    identity: null,
    allowInternal: false,
    ...extra,
  });
}

async function value(
  udfPath: string,
  args: JsonValue = {},
  extra: Partial<UdfRequest> = {},
) {
  const result = await call(udfPath, args, extra);
  if (!result.success) throw new Error(result.errorMessage);
  return result.value;
}

describe("FunctionRunner", () => {
  test("runs mutations and queries against the database", async () => {
    const sent = await call("messages:send", { body: "first" });
    expect(sent).toMatchObject({ success: true, udfType: "mutation" });
    const list = await call("messages:list");
    expect(list.success && list.value).toEqual([
      expect.objectContaining({
        body: "first",
        _id: sent.success ? sent.value : "",
      }),
    ]);
    expect(list.ts).toBeGreaterThanOrEqual(sent.ts);
    expect(list.readSet).toBeDefined();
  });

  test("accepts every spelling of a function path", async () => {
    await expect(value("messages.js:latest")).resolves.toMatchObject({
      body: "first",
    });
    await expect(value("messages:latest", [{}])).resolves.toMatchObject({
      body: "first",
    });
  });

  test("reports unknown, internal and wrongly-typed functions with Convex's messages", async () => {
    expect(await call("messages:nope")).toMatchObject({
      success: false,
      errorMessage:
        "Could not find public function for 'messages:nope'. Did you forget to run `npx convex dev`?",
    });
    expect(await call("messages:secret")).toMatchObject({
      errorMessage: expect.stringContaining(
        "Could not find public function for 'messages:secret'",
      ) as unknown,
    });
    expect(
      await call("messages:secret", {}, { allowInternal: true }),
    ).toMatchObject({ value: "internal" });
    expect(await call("nope", {}, { allowInternal: true })).toMatchObject({
      errorMessage:
        "Could not find function for 'nope'. Did you forget to run `npx convex dev`?",
    });
    expect(
      await call("messages:send", { body: "x" }, { udfType: "query" }),
    ).toMatchObject({
      errorMessage:
        "Trying to execute messages:send as Query, but it is defined as Mutation.",
    });
  });

  test("validates arguments and return values", async () => {
    const wrongType = await call("messages:send", { body: 1 });
    expect(wrongType.success).toBe(false);
    if (!wrongType.success)
      expect(wrongType.errorMessage).toMatch(/^ArgumentValidationError: /);
    const extra = await call("messages:list", { extra: true });
    expect(!extra.success && extra.errorMessage).toContain(
      "extra field `extra`",
    );
    const badReturn = await call("messages:badReturn");
    expect(!badReturn.success && badReturn.errorMessage).toMatch(
      /^ReturnsValidationError: /,
    );
    const badId = await call("messages:get", { id: "not-an-id" });
    expect(badId.success).toBe(false);
  });

  test("patches, replaces and deletes documents", async () => {
    const id = await value("messages:send", { body: "to edit" });
    expect(await value("messages:edit", { id, body: "edited" })).toMatchObject({
      body: "edited",
    });
    expect(await value("messages:edit", { id })).not.toHaveProperty("body");
    expect(await value("messages:replaceAndDelete", { id })).toEqual([
      "replaced",
      null,
    ]);
  });

  test("answers normalizeId synchronously from the worker", async () => {
    const id = await value("messages:send", { body: "n" });
    expect(await value("messages:normalize", { id })).toEqual([id, null]);
  });

  test("passes the caller's identity to ctx.auth and reports that auth was read", async () => {
    const identity = {
      tokenIdentifier: "issuer|alice",
      subject: "alice",
      issuer: "issuer",
    };
    const result = await call("messages:whoami", {}, { identity });
    expect(result).toMatchObject({
      success: true,
      value: identity,
      usedAuth: true,
    });
    expect(await call("messages:list")).toMatchObject({ usedAuth: false });
  });

  test("captures console output as log lines and in the function log", async () => {
    const result = await call("messages:chatty");
    expect(result.logLines).toEqual([
      "[LOG] 'hello' { n: 1 }",
      "[ERROR] 'bad'",
    ]);
    const entry = runner.logs
      .since(0)
      .entries.find((e) => e.identifier === "messages.js:chatty");
    expect(entry).toMatchObject({ udfType: "Mutation", error: null });
  });

  test("reports thrown errors and ConvexError data", async () => {
    const thrown = await call("messages:throws");
    expect(!thrown.success && thrown.errorMessage).toMatch(
      /^Uncaught Error: boom\n {4}at /,
    );
    expect(await call("messages:convexError")).toMatchObject({
      success: false,
      errorMessage: 'Uncaught ConvexError: {"code":"NOPE","n":"1n"}',
      errorData: { code: "NOPE", n: { $integer: "AQAAAAAAAAA=" } },
    });
  });

  test("re-runs conflicting mutations so every increment lands", async () => {
    await Promise.all(
      Array.from({ length: 8 }, () => call("messages:increment")),
    );
    expect(await value("messages:count")).toBe(8);
  });

  test("a scan answered at its end by the sandbox still reads its whole interval", async () => {
    // Each run collects `slots` (one document, then the end) and adds one while there are
    // fewer than two: only if the end counts as read do concurrent runs conflict.
    await Promise.all(
      Array.from({ length: 8 }, () => call("messages:takeSlot")),
    );
    expect(await value("messages:slots")).toBe(2);
  });

  test("a write between two reads of a scan is seen by the second", async () => {
    expect(await value("messages:insertWhileIterating")).toEqual([1, 2]);
  });

  test("runs nested calls as sub-transactions that roll back on failure", async () => {
    const result = (await value("messages:nested")) as {
      caught: unknown;
      count: number;
      rolledBack: boolean;
    };
    expect(result.caught).toEqual({
      code: "NOPE",
      n: { $integer: "AQAAAAAAAAA=" },
    });
    expect(result.rolledBack).toBe(true);
    const all = (await value("messages:list")) as unknown[];
    expect(result.count).toBe(all.length);
  });

  test("limits nested calls to a depth of 8", async () => {
    expect(await value("messages:recurse", { n: 8 })).toBe(8);
    const tooDeep = await call("messages:recurse", { n: 9 });
    expect(!tooDeep.success && tooDeep.errorMessage).toContain(
      "at most 8 nested function calls",
    );
  });

  test("refuses to schedule a query", async () => {
    const scheduled = await call("messages:schedule");
    expect(!scheduled.success && scheduled.errorMessage).toContain(
      "Attempted to schedule function messages:list, which is a query.",
    );
  });

  test("runs actions, whose calls are separate transactions", async () => {
    expect(await value("messages:fromAction", { body: "from action" })).toEqual(
      {
        body: "from action",
        secret: "internal",
        error: null,
        now: true,
      },
    );
  });

  test("keeps a re-run page's end where the journal says", async () => {
    for (let i = 0; i < 6; i++) await value("messages:send", { body: `p${i}` });
    const first = await call("messages:page", {
      paginationOpts: { numItems: 2, cursor: null },
    });
    const again = await call(
      "messages:page",
      { paginationOpts: { numItems: 5, cursor: null } },
      { journal: first.journal },
    );
    const fresh = await call("messages:page", {
      paginationOpts: { numItems: 5, cursor: null },
    });
    const pageLength = (r: typeof first) =>
      r.success ? (r.value as { page: unknown[] }).page.length : -1;
    expect([pageLength(first), pageLength(again), pageLength(fresh)]).toEqual([
      2, 2, 5,
    ]);
    expect(again.journal).toBe(first.journal);
    const garbage = await call(
      "messages:page",
      { paginationOpts: { numItems: 5, cursor: null } },
      { journal: "not a cursor" },
    );
    expect(pageLength(garbage)).toBe(5);
  });

  test('runs "use node" modules as actions', async () => {
    expect(await value("actions/node:hash")).toBe(
      createHash("sha256").update("x").digest("hex"),
    );
  });

  test("paginates and returns the page's journal", async () => {
    const first = await call("messages:page", {
      paginationOpts: { numItems: 1, cursor: null },
    });
    expect(first).toMatchObject({ success: true, value: { isDone: false } });
    expect(typeof first.journal).toBe("string");
  });

  test("gives functions metadata, the snapshot ts and environment variables", async () => {
    expect(await value("messages:metadata")).toEqual([
      {
        name: "messages:metadata",
        componentPath: "",
        type: "mutation",
        visibility: "public",
      },
      true,
    ]);
    expect(await value("messages:env")).toBe("hello");
  });

  test("stops a runaway query and keeps serving others", async () => {
    const [loop, list] = await Promise.all([
      call("messages:loop"),
      call("messages:list"),
    ]);
    expect(loop).toMatchObject({
      success: false,
      errorMessage: "Function execution timed out (maximum duration: 0.25s)",
    });
    expect(list.success).toBe(true);
  });

  test("stops a query that awaits forever at its wall-clock limit", async () => {
    expect(await call("messages:hang")).toMatchObject({
      success: false,
      errorMessage: "Function execution timed out (maximum duration: 1.5s)",
    });
  });

  test("serves HTTP actions through the router", async () => {
    const response = await runner.runHttpAction(
      new Request("http://127.0.0.1:3211/hello", {
        method: "POST",
        body: "there",
      }),
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("x-test")).toBe("yes");
    expect(await response.text()).toMatch(/^hi there \d+$/);
    const missing = await runner.runHttpAction(
      new Request("http://127.0.0.1:3211/nope"),
    );
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("No matching routes found");
    const failing = await runner.runHttpAction(
      new Request("http://127.0.0.1:3211/fail"),
    );
    expect(failing.status).toBe(500);
  });

  test("streams an HTTP action's response body while the action is still running", async () => {
    const response = await runner.runHttpAction(
      new Request("http://127.0.0.1:3211/stream"),
    );
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe("first;");
    // The action only finishes once it sees this message: a buffered body would never arrive.
    await call("messages:send", { body: "go-stream" });
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += decoder.decode(r.value);
    }
    expect(rest).toBe("second");
  });

  test("keeps the running code when a new deployment fails to load", async () => {
    const broken = {
      ...manifest,
      modules: [
        ...manifest.modules,
        {
          path: "bad.js",
          sha256: await store.put(
            testModule("bad.js", "throw new Error('nope');"),
          ),
          environment: "isolate" as const,
        },
      ],
    };
    await expect(runner.activate(broken)).rejects.toThrow(
      /Failed to load bad.js: Uncaught Error: nope/,
    );
    expect(runner.manifest).toBe(manifest);
    expect((await call("messages:list")).success).toBe(true);
  });
});

describe("FunctionRunner activation", () => {
  test("switches deployments atomically and prunes old module files", async () => {
    const extra = testModule(
      "extra.js",
      `import { queryGeneric } from ${JSON.stringify(SERVER)};
export const hello = queryGeneric({ handler: async () => "new code" });`,
    );
    const next = await pushApp(store, [...APP_MODULES, extra]);
    await runner.activate(next);
    expect(await value("extra:hello")).toBe("new code");
    await runner.activate(manifest);
    expect((await call("extra:hello")).success).toBe(false);
    expect(await value("messages:secret", {}, { allowInternal: true })).toBe(
      "internal",
    );
    expect((await readdir(cacheDir)).length).toBeLessThanOrEqual(2);
  });
});

describe("FunctionRunner in process", () => {
  test("runs the same functions without workers", async () => {
    await using db = await createTestDatabase("memory");
    const inProcess = FunctionRunner.create({
      database: db.database,
      moduleStore: store,
      logger: silentLogger,
      cacheDir,
      isolation: "inProcess",
    });
    try {
      await inProcess.activate(manifest);
      const id = await inProcess.run({
        udfPath: "messages:send",
        args: { body: "p" },
        identity: null,
        allowInternal: false,
      });
      expect(id.success).toBe(true);
      const list = await inProcess.run({
        udfPath: "messages:list",
        args: {},
        identity: null,
        allowInternal: false,
      });
      expect(list).toMatchObject({
        success: true,
        value: [expect.objectContaining({ body: "p" })],
      });
      const nested = await inProcess.run({
        udfPath: "messages:fromAction",
        args: { body: "q" },
        identity: null,
        allowInternal: false,
      });
      expect(nested).toMatchObject({ success: true, value: { body: "q" } });
      expect(Date.now()).toBeGreaterThan(1e12);
    } finally {
      await inProcess.close();
    }
  });
});
