import { describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import { analyzeModules } from "./analysis.js";
import { SERVER, VALUES, testModule } from "./test-modules.test-support.js";

const imports = `import * as server from ${JSON.stringify(SERVER)};
import { v } from ${JSON.stringify(VALUES)};`;

const app = [
  testModule(
    "messages.js",
    `${imports}
export const list = server.queryGeneric({ args: { n: v.number() }, returns: v.array(v.string()), handler: async () => [] });
export const send = server.internalMutationGeneric({ handler: async () => null });
export const run = server.actionGeneric({ args: {}, handler: async () => null });
export const helper = () => 1;
export const constant = 3;`,
  ),
  testModule(
    "schema.js",
    `${imports}
export default server.defineSchema({ messages: server.defineTable({ body: v.string() }).index("by_body", ["body"]) });`,
  ),
  testModule(
    "crons.js",
    `${imports}
const crons = server.cronJobs();
crons.interval("tick", { minutes: 5 }, "messages:send", {});
export default crons;`,
  ),
  testModule(
    "http.js",
    `${imports}
const http = server.httpRouter();
http.route({ path: "/hook", method: "POST", handler: server.httpActionGeneric(async () => new Response("ok")) });
http.route({ pathPrefix: "/files/", method: "GET", handler: server.httpActionGeneric(async () => new Response("f")) });
export default http;`,
  ),
  testModule(
    "auth.config.js",
    `export default { providers: [{ domain: process.env.AUTH_DOMAIN, applicationID: "convex" }] };`,
  ),
];

const options = {
  environmentVariables: { AUTH_DOMAIN: "https://auth.example" },
  logger: silentLogger,
};

describe("analyzeModules", () => {
  test("describes functions, schema, crons, routes and auth providers", async () => {
    const analysis = await analyzeModules(app, options);
    expect(analysis.modules["messages.js"]?.functions).toEqual([
      {
        name: "list",
        udfType: "query",
        visibility: "public",
        args: JSON.stringify({
          type: "object",
          value: { n: { fieldType: { type: "number" }, optional: false } },
        }),
        returns: JSON.stringify({ type: "array", value: { type: "string" } }),
      },
      {
        name: "run",
        udfType: "action",
        visibility: "public",
        args: '{"type":"object","value":{}}',
        returns: null,
      },
      {
        name: "send",
        udfType: "mutation",
        visibility: "internal",
        args: '{"type":"any"}',
        returns: null,
      },
    ]);
    expect(analysis.schema).toMatchObject({
      tables: [
        {
          tableName: "messages",
          indexes: [{ indexDescriptor: "by_body", fields: ["body"] }],
        },
      ],
      schemaValidation: true,
    });
    expect(analysis.crons).toEqual({
      tick: {
        name: "messages:send",
        args: [{}],
        schedule: { type: "interval", minutes: 5 },
      },
    });
    expect(analysis.httpRoutes).toEqual([
      { path: "/hook", method: "POST" },
      { path: "/files/*", method: "GET" },
    ]);
    expect(analysis.authProviders).toEqual([
      { domain: "https://auth.example", applicationID: "convex" },
    ]);
    expect(Object.keys(analysis.modules).sort()).toEqual([
      "auth.config.js",
      "crons.js",
      "http.js",
      "messages.js",
      "schema.js",
    ]);
  });

  test("reports a module that throws at import time", async () => {
    const broken = [
      testModule("bad.js", `throw new Error("broken at import");`),
    ];
    await expect(analyzeModules(broken, options)).rejects.toThrow(
      /^Failed to analyze bad\.js: Uncaught Error: broken at import/,
    );
  });

  test("reports an import that cannot be resolved", async () => {
    const broken = [testModule("bad.js", `import "./_deps/missing.js";`)];
    await expect(analyzeModules(broken, options)).rejects.toMatchObject({
      code: "BadRequest",
      shortMsg: "ModuleAnalysisError",
    });
  });

  test("refuses an http.js whose default export is not a router", async () => {
    const broken = [testModule("http.js", `export default 42;`)];
    await expect(analyzeModules(broken, options)).rejects.toThrow(
      "Failed to analyze http.js: The default export of convex/http.js is not a Router.",
    );
  });

  test("refuses module paths outside convex/", async () => {
    await expect(
      analyzeModules([testModule("../evil.js", "")], options),
    ).rejects.toMatchObject({
      shortMsg: "InvalidModulePath",
    });
  });

  test("stops an import that never finishes", async () => {
    const slow = [testModule("slow.js", `for (;;) {}`)];
    await expect(
      analyzeModules(slow, { ...options, timeoutMs: 300 }),
    ).rejects.toThrow("Analyzing the modules took longer than 0.3s.");
  });
});
