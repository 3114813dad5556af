/**
 * The app a `convexTest` instance runs: the user's modules imported into this process (through
 * the map's own loaders, so they load `convex/server` from `node_modules` like any source file),
 * analysed, and wrapped in a runtime `Deployment` over an in-process sandbox. A deployment holds
 * no database state, so it is built once per module map and shared by every instance.
 */
import { Deployment } from "../runtime/deployment.js";
import { InProcessSandbox } from "../runtime/in-process-sandbox.js";
import { analyzeLoadedModules } from "../runtime/sandbox/analyze.js";
import { LoadedModules } from "../runtime/sandbox/loaded-modules.js";
import { INLINE_MODULE, inlineNamespace } from "./inline-functions.js";
import { entryModules, type ModuleMap } from "./module-map.js";

/** A loaded app: the deployment and its sandbox (for environment updates). */
export interface HarnessApp {
  readonly deployment: Deployment;
  readonly sandbox: InProcessSandbox;
}

const apps = new WeakMap<ModuleMap, Promise<HarnessApp>>();

/**
 * The app for `modules`, loaded on first use and cached per map.
 *
 * @throws Error when the map has no `_generated/` module, a module fails to import (the error
 *   names the module and keeps the original as `cause`), or an export is invalid.
 */
export function loadHarnessApp(modules: ModuleMap): Promise<HarnessApp> {
  let app = apps.get(modules);
  if (app === undefined) {
    app = load(modules);
    apps.set(modules, app);
    app.catch(() => apps.delete(modules));
  }
  return app;
}

async function load(modules: ModuleMap): Promise<HarnessApp> {
  const entries = entryModules(modules);
  const namespaces = new Map<string, Record<string, unknown>>();
  await Promise.all(
    [...entries].map(async ([path, loader]) => {
      try {
        namespaces.set(path, (await loader()) as Record<string, unknown>);
      } catch (e) {
        throw new Error(`Failed to load ${path}: ${String(e)}`, { cause: e });
      }
    }),
  );
  namespaces.set(INLINE_MODULE, inlineNamespace);
  const loaded = LoadedModules.fromNamespaces(namespaces);
  const analysis = analyzeLoadedModules(loaded, {});
  const sandbox = InProcessSandbox.fromModules(loaded, null);
  const deployment = Deployment.fromSandbox(
    { modules: [], analysis, udfServerVersion: null },
    sandbox,
    "",
  );
  return { deployment, sandbox };
}
