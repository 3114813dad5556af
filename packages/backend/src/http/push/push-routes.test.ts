import zlib from "node:zlib";
import { describe, expect, test } from "vitest";
import { createFakeHttpDeps, TEST_ADMIN_KEY } from "../fake-http-deps.js";
import { createHttpApp } from "../http-app.js";

const BASE = "http://127.0.0.1:3210";

function setup() {
  const fakes = createFakeHttpDeps();
  return { ...fakes, app: createHttpApp(fakes.deps) };
}

/** A request the way the CLI sends push bodies: brotli-compressed JSON. */
function brotliPost(path: string, body: unknown, adminHeader = true): Request {
  return new Request(BASE + path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Content-Encoding": "br",
      ...(adminHeader ? { Authorization: `Convex ${TEST_ADMIN_KEY}` } : {}),
    },
    body: zlib.brotliCompressSync(JSON.stringify(body)),
  });
}

const startPushBody = {
  adminKey: TEST_ADMIN_KEY,
  dryRun: false,
  functions: "convex/",
  appDefinition: {
    definition: null,
    dependencies: [],
    schema: {
      path: "schema.js",
      source: "export default 1",
      environment: "isolate",
    },
    changedModules: [
      {
        path: "messages.js",
        source: "export {}",
        sourceMap: "{}",
        environment: "isolate",
      },
    ],
    unchangedModuleHashes: [
      { path: "_deps/A.js", environment: "isolate", sha256: "ff" },
    ],
    udfServerVersion: "1.48.0",
  },
  componentDefinitions: [],
  nodeDependencies: [],
};

/** The parts of the `start_push` response these tests look at. */
interface StartPushJson {
  analysis: Record<
    string,
    {
      definition: { childComponents: unknown[] };
      functions: Record<string, { functions: unknown[] }>;
    }
  >;
  app: { httpRoutes: unknown };
  schemaChange: Record<string, unknown>;
}

describe("push routes", () => {
  test("get_config_hashes lists the active modules for an admin key in the body", async () => {
    const { app } = setup();
    const response = await app(
      new Request(`${BASE}/api/get_config_hashes`, {
        method: "POST",
        body: JSON.stringify({ version: "1.48.0", adminKey: TEST_ADMIN_KEY }),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      config: { functions: "convex/" },
      moduleHashes: [
        { path: "messages.js", hash: "abc", environment: "isolate" },
      ],
      udfServerVersion: "1.48.0",
    });
  });

  test("start_push decodes a brotli body and answers the analysis with a push id", async () => {
    const { app, deploy } = setup();
    const response = await app(
      brotliPost("/api/deploy2/start_push", startPushBody, false),
    );
    expect(response.status).toBe(200);
    expect(deploy.prepareCalls).toEqual([
      {
        changedModules: [
          {
            path: "messages.js",
            source: "export {}",
            sourceMap: "{}",
            environment: "isolate",
          },
        ],
        unchangedModules: [
          { path: "_deps/A.js", environment: "isolate", sha256: "ff" },
        ],
        schema: {
          path: "schema.js",
          source: "export default 1",
          environment: "isolate",
        },
        udfServerVersion: "1.48.0",
      },
    ]);
    const body = (await response.json()) as StartPushJson;
    expect(body.analysis[""]?.definition.childComponents).toEqual([]);
    expect(body.analysis[""]?.functions["messages.js"]?.functions).toEqual([
      {
        name: "list",
        pos: null,
        udfType: "Query",
        visibility: { kind: "public" },
        args: "{}",
        returns: null,
      },
    ]);
    expect(body.app.httpRoutes).toEqual({ httpModuleRoutes: null, mounts: [] });
    expect(body.schemaChange).toMatchObject({
      indexDiffs: { "": { added_indexes: [], removed_indexes: [] } },
      hullPushId: "push-1",
    });
  });

  test("wait_for_schema and finish_push find the push through the schemaChange", async () => {
    const { app, deploy } = setup();
    const started = (await (
      await app(brotliPost("/api/deploy2/start_push", startPushBody))
    ).json()) as StartPushJson;
    deploy.status = {
      type: "inProgress",
      schemaValidationComplete: false,
      indexesComplete: 1,
      indexesTotal: 2,
    };
    const waiting = await app(
      brotliPost("/api/deploy2/wait_for_schema", {
        adminKey: TEST_ADMIN_KEY,
        schemaChange: started.schemaChange,
        timeoutMs: 10_000,
        dryRun: false,
      }),
    );
    expect(await waiting.json()).toEqual({
      type: "inProgress",
      components: {
        "": {
          schemaValidationComplete: false,
          indexesComplete: 1,
          indexesTotal: 2,
        },
      },
    });
    expect(deploy.waitCalls).toEqual([{ pushId: "push-1", timeoutMs: 10_000 }]);
    const finished = await app(
      brotliPost("/api/deploy2/finish_push", {
        adminKey: TEST_ADMIN_KEY,
        startPush: started,
        dryRun: true,
        message: null,
      }),
    );
    expect(deploy.finishCalls).toEqual([{ pushId: "push-1", dryRun: true }]);
    expect(await finished.json()).toMatchObject({
      authDiff: { added: [], removed: [] },
      definitionDiffs: {},
      componentDiffs: {
        "": {
          diffType: { type: "create" },
          moduleDiff: { added: ["messages.js"], removed: [] },
          udfConfigDiff: null,
          schemaDiff: null,
        },
      },
    });
  });

  test("a failed schema check is reported with the table name", async () => {
    const { app, deploy } = setup();
    deploy.status = {
      type: "failed",
      error: "Document does not match",
      tableName: "messages",
    };
    const response = await app(
      brotliPost("/api/deploy2/wait_for_schema", {
        adminKey: TEST_ADMIN_KEY,
        schemaChange: { hullPushId: "push-1" },
      }),
    );
    expect(await response.json()).toEqual({
      type: "failed",
      error: "Document does not match",
      componentPath: "",
      tableName: "messages",
    });
  });

  test("evaluate_schema has nothing to warn about; evaluate_push answers the schema change", async () => {
    const { app } = setup();
    const schema = await app(
      brotliPost("/api/deploy2/evaluate_schema", startPushBody),
    );
    expect(await schema.json()).toEqual({
      componentSchemaEvaluations: {},
      newComponentDefinitions: [],
    });
    const push = await app(
      brotliPost("/api/deploy2/evaluate_push", startPushBody),
    );
    expect(await push.json()).toMatchObject({
      schemaChange: { hullPushId: "push-1" },
    });
  });

  test("report_push_completed accepts the spans", async () => {
    const { app } = setup();
    const response = await app(
      brotliPost("/api/deploy2/report_push_completed", {
        adminKey: TEST_ADMIN_KEY,
        spans: [],
      }),
    );
    expect(await response.json()).toEqual({});
  });
});

describe("push routes: bad input", () => {
  test("a push without any admin key is a 401 and a wrong one a 403", async () => {
    const { app, deploy } = setup();
    const withoutKey = { ...startPushBody, adminKey: undefined };
    const missing = await app(
      brotliPost("/api/deploy2/start_push", withoutKey, false),
    );
    expect(missing.status).toBe(401);
    const wrong = await app(
      brotliPost(
        "/api/deploy2/start_push",
        { ...startPushBody, adminKey: "test-instance|00" },
        false,
      ),
    );
    expect(wrong.status).toBe(403);
    expect(deploy.prepareCalls).toHaveLength(0);
  });

  test("a corrupt brotli body is a 400 BadCompressedBody", async () => {
    const { app } = setup();
    const response = await app(
      new Request(`${BASE}/api/deploy2/start_push`, {
        method: "POST",
        headers: {
          "Content-Encoding": "br",
          Authorization: `Convex ${TEST_ADMIN_KEY}`,
        },
        body: "definitely not brotli",
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "BadCompressedBody" });
  });

  test("a push with components is refused clearly", async () => {
    const { app } = setup();
    const response = await app(
      brotliPost("/api/deploy2/start_push", {
        ...startPushBody,
        componentDefinitions: [{}],
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "ComponentsNotSupported",
    });
  });

  test("a malformed module list is a 400 naming the field", async () => {
    const { app } = setup();
    const response = await app(
      brotliPost("/api/deploy2/start_push", {
        ...startPushBody,
        appDefinition: {
          ...startPushBody.appDefinition,
          changedModules: [{ path: "a.js" }],
        },
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "InvalidRequest",
      message: 'Expected field "source" to be a string, received nothing.',
    });
  });

  test("finish_push for a schemaChange without a push id is a 400 PushNotFound", async () => {
    const { app } = setup();
    const response = await app(
      brotliPost("/api/deploy2/finish_push", {
        adminKey: TEST_ADMIN_KEY,
        startPush: { schemaChange: {} },
        dryRun: false,
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "PushNotFound" });
  });
});
