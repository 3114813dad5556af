import { describe, expect, test } from "vitest";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import type {
  AppAnalysis,
  ModuleSource,
  PushRequest,
} from "../http/push/deploy-api.js";
import { MemoryModuleStore, hashModule } from "../runtime/module-store.js";
import { silentLogger } from "../shared/logger.js";
import type { AppManifest } from "./deployment-manifest.js";
import { PushService } from "./push-service.js";

const messagesSchema = {
  tables: [
    {
      tableName: "messages",
      indexes: [{ indexDescriptor: "by_author", fields: ["author"] }],
      searchIndexes: [],
      vectorIndexes: [],
      documentType: {
        type: "object",
        value: {
          author: { fieldType: { type: "string" }, optional: false },
          body: { fieldType: { type: "string" }, optional: false },
        },
      },
    },
  ],
  schemaValidation: true,
};

/** Analysis stand-in: one query per module, the schema when schema.js is present. */
function fakeAnalyze(modules: readonly ModuleSource[]): Promise<AppAnalysis> {
  if (modules.some((m) => m.source.includes("throw"))) {
    return Promise.reject(
      new Error("Failed to analyze bad.js: Uncaught Error: boom"),
    );
  }
  const entries = modules.filter(
    (m) => !m.path.startsWith("_deps/") && m.path !== "schema.js",
  );
  return Promise.resolve({
    modules: Object.fromEntries(
      entries.map((m) => [
        m.path,
        {
          path: m.path,
          environment: m.environment,
          functions: [
            {
              name: "list",
              udfType: "query" as const,
              visibility: "public" as const,
              args: "{}",
              returns: null,
            },
          ],
        },
      ]),
    ),
    schema: modules.some((m) => m.path === "schema.js") ? messagesSchema : null,
    crons: null,
    httpRoutes: null,
    authProviders: [],
  });
}

class FakeRunner {
  manifest: AppManifest | null = null;
  activations = 0;
  activate(manifest: AppManifest): Promise<void> {
    this.manifest = manifest;
    this.activations++;
    return Promise.resolve();
  }
}

function setupDeps(fixture: EngineFixture) {
  const runner = new FakeRunner();
  const saved: AppManifest[] = [];
  const pending: (AppManifest | null)[] = [];
  const store = new MemoryModuleStore();
  return {
    moduleStore: store,
    analyze: fakeAnalyze,
    runner,
    schema: fixture.database.schema,
    catalog: () => fixture.database.catalog,
    environmentVariables: () => ({ MODE: "test" }),
    manifests: {
      save: (m: AppManifest) => {
        saved.push(m);
        return Promise.resolve();
      },
      savePending: (m: AppManifest | null) => {
        pending.push(m);
        return Promise.resolve();
      },
    },
    pending,
    logger: silentLogger,
    saved,
    store,
  };
}

function setup(fixture: EngineFixture) {
  const deps = setupDeps(fixture);
  const service = new PushService(deps);
  return {
    service,
    runner: deps.runner,
    saved: deps.saved,
    pending: deps.pending,
    store: deps.store,
  };
}

const schemaModule: ModuleSource = {
  path: "schema.js",
  source: "export default s",
  environment: "isolate",
};

function push(
  changed: ModuleSource[],
  unchanged: PushRequest["unchangedModules"] = [],
): PushRequest {
  return {
    changedModules: changed,
    unchangedModules: unchanged,
    schema: schemaModule,
    udfServerVersion: "1.48.0",
  };
}

const messages: ModuleSource = {
  path: "messages.js",
  source: "export const list = 1",
  environment: "isolate",
};
const chunk: ModuleSource = {
  path: "_deps/A.js",
  source: "chunk",
  sourceMap: "{}",
  environment: "isolate",
};

describe("PushService", () => {
  test("prepare stores and analyses the modules and reports new indexes, changing nothing", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service, runner, store } = setup(fixture);
    const prepared = await service.prepare(push([messages, chunk]));
    expect(Object.keys(prepared.analysis.modules)).toEqual(["messages.js"]);
    expect(prepared.environmentVariables).toEqual({ MODE: "test" });
    expect(prepared.indexDiff).toEqual({
      added: [
        { name: "messages.by_author", type: "database", fields: ["author"] },
      ],
      removed: [],
    });
    expect(await store.get(hashModule("chunk", "{}"))).toEqual({
      source: "chunk",
      sourceMap: "{}",
    });
    expect(runner.activations).toBe(0);
    expect(fixture.database.catalog.tableByName("messages")).toBeUndefined();
  });

  test("finish applies the schema, saves the manifest and activates it; the next push diffs against it", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service, runner, saved, pending } = setup(fixture);
    const first = await service.prepare(push([messages, chunk]));
    expect(
      await service.waitForSchema(
        first.pushId,
        1_000,
        new AbortController().signal,
      ),
    ).toEqual({
      type: "complete",
    });
    const diff = await service.finish(first.pushId, { dryRun: false });
    expect(diff).toMatchObject({
      firstPush: true,
      modules: { added: ["messages.js"], removed: [] },
    });
    expect(saved).toHaveLength(1);
    expect(pending).toEqual([saved[0], null]);
    expect(runner.manifest?.modules.map((m) => m.path).sort()).toEqual([
      "_deps/A.js",
      "messages.js",
      "schema.js",
    ]);
    expect(service.moduleHashes()).toContainEqual({
      path: "_deps/A.js",
      environment: "isolate",
      sha256: hashModule("chunk", "{}"),
    });
    const table = fixture.database.catalog.tableByName("messages");
    expect(table).toBeDefined();

    const other: ModuleSource = {
      path: "other.js",
      source: "export const x = 1",
      environment: "isolate",
    };
    const second = await service.prepare(
      push(
        [other],
        [
          {
            path: "_deps/A.js",
            environment: "isolate",
            sha256: hashModule("chunk", "{}"),
          },
        ],
      ),
    );
    const secondDiff = await service.finish(second.pushId, { dryRun: false });
    expect(secondDiff).toMatchObject({
      firstPush: false,
      modules: { added: ["other.js"], removed: ["messages.js"] },
      indexDiff: { added: [], removed: [] },
      schema: null,
    });
  });

  test("a schema check slower than the poll answers inProgress, and a later poll gets its result", async () => {
    await using fixture = await createTestDatabase("memory");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const service = new PushService({
      ...setupDeps(fixture),
      schema: {
        prepare: async (schema) => {
          await gate;
          return fixture.database.schema.prepare(schema);
        },
        apply: (schema) => fixture.database.schema.apply(schema),
      },
    });
    const prepared = await service.prepare(push([messages]));
    const signal = new AbortController().signal;
    expect(await service.waitForSchema(prepared.pushId, 10, signal)).toEqual({
      type: "inProgress",
      schemaValidationComplete: false,
      indexesComplete: 0,
      indexesTotal: 1,
    });
    release();
    expect(await service.waitForSchema(prepared.pushId, 1_000, signal)).toEqual(
      { type: "complete" },
    );
  });

  test("the same modules pushed twice are analysed once", async () => {
    await using fixture = await createTestDatabase("memory");
    let analyses = 0;
    const service = new PushService({
      ...setupDeps(fixture),
      analyze: (modules) => {
        analyses++;
        return fakeAnalyze(modules);
      },
    });
    await service.prepare(push([messages]));
    await service.prepare(push([messages]));
    expect(analyses).toBe(1);
    await service.prepare(push([messages, chunk]));
    expect(analyses).toBe(2);
  });

  test("a dry run reports the diff and changes nothing", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service, runner, saved } = setup(fixture);
    const prepared = await service.prepare(push([messages]));
    const diff = await service.finish(prepared.pushId, { dryRun: true });
    expect(diff.indexDiff.added).toHaveLength(1);
    expect(runner.activations).toBe(0);
    expect(saved).toHaveLength(0);
    expect(fixture.database.catalog.tableByName("messages")).toBeUndefined();
  });

  test("a module hash the deployment does not have is a clear BadRequest", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service } = setup(fixture);
    await expect(
      service.prepare(
        push(
          [],
          [{ path: "x.js", environment: "isolate", sha256: "0".repeat(64) }],
        ),
      ),
    ).rejects.toMatchObject({
      code: "BadRequest",
      shortMsg: "UnknownModuleHash",
    });
  });

  test("a push whose analysis fails leaves the running deployment untouched", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service, runner } = setup(fixture);
    await expect(
      service.prepare(
        push([{ path: "bad.js", source: "throw 1", environment: "isolate" }]),
      ),
    ).rejects.toThrow(/boom/);
    expect(runner.activations).toBe(0);
  });

  test("a schema that existing documents violate fails in wait_for_schema and finish, and activates nothing", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service, runner, saved, pending } = setup(fixture);
    await fixture.database.runInTransaction((tx) =>
      tx.insert("messages", { author: "a", body: 7 }),
    );
    const prepared = await service.prepare(push([messages]));
    const status = await service.waitForSchema(
      prepared.pushId,
      1_000,
      new AbortController().signal,
    );
    expect(status).toMatchObject({ type: "failed", tableName: "messages" });
    await expect(
      service.finish(prepared.pushId, { dryRun: false }),
    ).rejects.toMatchObject({
      code: "BadRequest",
    });
    expect(runner.activations).toBe(0);
    expect(saved).toHaveLength(0);
    expect(pending.at(-1) ?? null).toBeNull();
  });

  test("an unknown push id is a PushNotFound error", async () => {
    await using fixture = await createTestDatabase("memory");
    const { service } = setup(fixture);
    await expect(
      service.waitForSchema("nope", 1_000, new AbortController().signal),
    ).rejects.toMatchObject({
      shortMsg: "PushNotFound",
    });
    await expect(
      service.finish("nope", { dryRun: false }),
    ).rejects.toMatchObject({
      shortMsg: "PushNotFound",
    });
  });
});
