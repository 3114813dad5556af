/**
 * Prepares a JavaScript realm (a worker, or the host process for in-process execution) to run
 * user code: deterministic globals, console capture and the `Convex` global. Idempotent.
 */
import {
  installConsoleCapture,
  type ConsoleFallback,
} from "./console-capture.js";
import { installConvexGlobal } from "./convex-global.js";
import { installDeterminism } from "./determinism.js";
import { UserTimeTracker } from "./user-time.js";

let tracker: UserTimeTracker | null = null;

/**
 * Installs everything once and returns the realm's user-time tracker. `watchdog` is the shared
 * buffer a worker's host watches; null in process.
 */
export function prepareRealm(options: {
  watchdog: SharedArrayBuffer | null;
  consoleFallback: ConsoleFallback;
}): UserTimeTracker {
  installConsoleCapture(options.consoleFallback);
  if (tracker === null) {
    installDeterminism();
    tracker = new UserTimeTracker(options.watchdog);
    installConvexGlobal(tracker);
  }
  return tracker;
}
