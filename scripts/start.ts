/**
 * `npm start`: Hull with its embedded SQLite store (data in ./hull-data, reused by the next
 * start), examples/swarm deployed to it with the official CLI, a little demo data, and the live
 * Swarm dashboard. Ctrl-C stops everything.
 *
 *   npm start [-- --port 3210 --site-port 3211 --dashboard-port 5173 --data ./hull-data]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, startSwarmStack } from "./lib/swarm-stack.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3210" },
    "site-port": { type: "string", default: "3211" },
    "dashboard-port": { type: "string", default: "5173" },
    data: { type: "string", default: path.join(REPO_ROOT, "hull-data") },
  },
});

const log = (line: string) => process.stdout.write(`${line}\n`);

// Signals are handled from the start: a Ctrl-C during startup stops what has started.
const startup = new AbortController();
const running: { stop?: () => Promise<void> } = {};
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`\n${signal}: stopping the dashboard and Hull ...`);
  if (running.stop === undefined) {
    startup.abort();
    return;
  }
  void running.stop().then(() => {
    log("Stopped.");
    process.exit(0);
  });
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));

const stack = await startSwarmStack({
  dataDir: path.resolve(values.data),
  port: Number(values.port),
  sitePort: Number(values["site-port"]),
  dashboardPort: Number(values["dashboard-port"]),
  log,
  signal: startup.signal,
}).catch((error: unknown) => {
  if (startup.signal.aborted) {
    log("Stopped.");
    process.exit(130);
  }
  process.stderr.write(`npm start failed: ${String(error)}\n`);
  process.exit(1);
});
running.stop = () => stack.stop();

log("");
log("Hull is running the Swarm example.");
log(`  Hull URL (client API, WebSocket): ${stack.hullUrl}`);
log(`  HTTP actions:                     ${stack.siteUrl}`);
log(`  Swarm dashboard:                  ${stack.dashboardUrl}`);
log(`  Admin key:                        ${stack.adminKey}`);
log("");
log("For the official CLI (e.g. `npx convex data` in examples/swarm):");
log(`  export CONVEX_SELF_HOSTED_URL=${stack.hullUrl}`);
log(`  export CONVEX_SELF_HOSTED_ADMIN_KEY='${stack.adminKey}'`);
log("Press Ctrl-C to stop.");
