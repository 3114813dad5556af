/**
 * A small Convex app for the runtime's tests, written as plain ES modules over the real
 * `convex` package, plus a helper that stores it and builds its manifest the way a push does.
 */
import { analyzeModules } from "./analysis.js";
import type { AppManifest } from "./deployment.js";
import type { ModuleSource, ModuleStore } from "./module-store.js";
import { silentLogger } from "../shared/logger.js";
import { SERVER, VALUES, testModule } from "./test-modules.test-support.js";

const imports = `
import {
  queryGeneric as query, mutationGeneric as mutation, actionGeneric as action,
  internalQueryGeneric as internalQuery, internalMutationGeneric as internalMutation,
  httpActionGeneric as httpAction, httpRouter, anyApi as api,
} from ${JSON.stringify(SERVER)};
import { v, ConvexError } from ${JSON.stringify(VALUES)};
`;

export const MESSAGES_JS = `${imports}
export const send = mutation({
  args: { body: v.string() },
  returns: v.id("messages"),
  handler: async (ctx, { body }) => ctx.db.insert("messages", { body }),
});
export const list = query({
  args: {},
  handler: async (ctx) => ctx.db.query("messages").collect(),
});
export const get = query({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => ctx.db.get(id),
});
export const latest = query({ handler: async (ctx) => ctx.db.query("messages").order("desc").first() });
export const page = query({
  args: { paginationOpts: v.any() },
  handler: async (ctx, { paginationOpts }) => ctx.db.query("messages").paginate(paginationOpts),
});
export const edit = mutation({
  args: { id: v.id("messages"), body: v.optional(v.string()) },
  handler: async (ctx, { id, body }) => { await ctx.db.patch(id, { body }); return await ctx.db.get(id); },
});
export const replaceAndDelete = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    await ctx.db.replace(id, { body: "replaced" });
    const replaced = await ctx.db.get(id);
    await ctx.db.delete(id);
    return [replaced.body, await ctx.db.get(id)];
  },
});
export const normalize = query({
  args: { id: v.string() },
  handler: async (ctx, { id }) => [ctx.db.normalizeId("messages", id), ctx.db.normalizeId("messages", "nope")],
});
export const badReturn = query({ args: {}, returns: v.string(), handler: async () => 42 });
export const secret = internalQuery({ args: {}, handler: async () => "internal" });
export const whoami = query({ handler: async (ctx) => ctx.auth.getUserIdentity() });
export const chatty = mutation({ handler: async () => { console.log("hello", { n: 1 }); console.error("bad"); return null; } });
export const throws = query({ handler: async () => { throw new Error("boom"); } });
export const convexError = mutation({ handler: async () => { throw new ConvexError({ code: "NOPE", n: 1n }); } });
export const loop = query({ handler: async () => { for (;;) {} } });
export const recurse = mutation({
  args: { n: v.number() },
  handler: async (ctx, { n }) => (n === 0 ? 0 : 1 + (await ctx.runMutation(api.messages.recurse, { n: n - 1 }))),
});
export const schedule = mutation({ handler: async (ctx) => ctx.scheduler.runAfter(0, api.messages.list, {}) });
export const hang = query({ handler: async () => new Promise(() => {}) });
export const metadata = mutation({ handler: async (ctx) => [await ctx.meta.getFunctionMetadata(), Number(ctx.meta.getSnapshotTs()) > 0] });
export const env = query({ handler: async () => process.env.GREETING ?? null });
export const count = query({ handler: async (ctx) => (await ctx.db.query("counters").first())?.n ?? 0 });
export const increment = mutation({
  handler: async (ctx) => {
    const counter = await ctx.db.query("counters").first();
    if (counter === null) await ctx.db.insert("counters", { n: 1 });
    else await ctx.db.patch(counter._id, { n: counter.n + 1 });
  },
});
export const takeSlot = mutation({
  handler: async (ctx) => {
    const slots = await ctx.db.query("slots").collect();
    if (slots.length < 2) await ctx.db.insert("slots", { n: slots.length });
  },
});
export const slots = query({ handler: async (ctx) => (await ctx.db.query("slots").collect()).length });
export const insertWhileIterating = mutation({
  handler: async (ctx) => {
    await ctx.db.insert("growing", { n: 1 });
    const seen = [];
    for await (const doc of ctx.db.query("growing")) {
      seen.push(doc.n);
      if (doc.n === 1) await ctx.db.insert("growing", { n: 2 });
    }
    return seen;
  },
});
export const writeThenFail = mutation({
  handler: async (ctx) => {
    await ctx.db.insert("messages", { body: "rolled back" });
    throw new ConvexError({ code: "NOPE", n: 1n });
  },
});
export const nested = mutation({
  handler: async (ctx) => {
    const id = await ctx.runMutation(api.messages.send, { body: "nested" });
    let caught = null;
    try { await ctx.runMutation(api.messages.writeThenFail, {}); } catch (e) { caught = e.data; }
    const all = await ctx.runQuery(api.messages.list, {});
    return { id, caught, count: all.length, rolledBack: all.every((m) => m.body !== "rolled back") };
  },
});
export const fromAction = action({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    const id = await ctx.runMutation(api.messages.send, { body });
    const doc = await ctx.runQuery(api.messages.get, { id });
    let error = null;
    try { await ctx.runQuery(api.messages.secret, {}); } catch (e) { error = e.message; }
    const secret = await ctx.runQuery(api.messages.secret, {});
    return { body: doc.body, secret, error, now: Date.now() > 1e12 };
  },
});
`;

export const HTTP_JS = `${imports}
const http = httpRouter();
http.route({
  path: "/hello",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const text = await request.text();
    const messages = await ctx.runQuery(api.messages.list, {});
    return new Response(\`hi \${text} \${messages.length}\`, { status: 201, headers: { "x-test": "yes" } });
  }),
});
http.route({ path: "/fail", method: "GET", handler: httpAction(async () => { throw new Error("http boom"); }) });
http.route({
  path: "/stream",
  method: "GET",
  handler: httpAction(async (ctx) => {
    const encoder = new TextEncoder();
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(encoder.encode("first;"));
        for (;;) {
          const messages = await ctx.runQuery(api.messages.list, {});
          if (messages.some((m) => m.body === "go-stream")) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        controller.enqueue(encoder.encode("second"));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }),
});
export default http;
`;

/** A `"use node"` module, pushed with `environment: "node"`. */
export const NODE_JS = `"use node";
import { createHash } from "node:crypto";
import { actionGeneric as action } from ${JSON.stringify(SERVER)};
export const hash = action({ handler: async () => createHash("sha256").update("x").digest("hex") });
`;

export const APP_MODULES: readonly ModuleSource[] = [
  testModule("messages.js", MESSAGES_JS),
  testModule("http.js", HTTP_JS),
  { path: "actions/node.js", source: NODE_JS, environment: "node" },
];

/** Stores `modules`, analyses them and returns the manifest a push would activate. */
export async function pushApp(
  store: ModuleStore,
  modules: readonly ModuleSource[] = APP_MODULES,
): Promise<AppManifest> {
  const refs = [];
  for (const module of modules) {
    const sha256 = await store.put(module);
    refs.push({ path: module.path, sha256, environment: module.environment });
  }
  const analysis = await analyzeModules(modules, {
    environmentVariables: {},
    logger: silentLogger,
  });
  return { modules: refs, analysis, udfServerVersion: "1.48.0" };
}
