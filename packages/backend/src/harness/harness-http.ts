/** `t.fetch`: a request through the app's `http.ts` router, run as Hull runs HTTP actions. */
import type { UserIdentity } from "../runtime/host-invocation.js";
import { runHttpAction } from "../runtime/http-action.js";
import { DEFAULT_RUNTIME_LIMITS } from "../runtime/sandbox-host.js";
import type { HarnessBackend } from "./harness-backend.js";

/** Answers `request` (404 `No matching routes found` when no route matches). */
export function fetchHttpAction(
  backend: HarnessBackend,
  request: Request,
  options: { identity: UserIdentity | null; requestId: string },
): Promise<Response> {
  return runHttpAction(backend.app.deployment, request, {
    identity: options.identity,
    requestId: options.requestId,
    limits: DEFAULT_RUNTIME_LIMITS,
    logs: backend.logs,
    clock: backend.clock,
    executor: backend.executor,
  });
}
