/**
 * HTTP actions: a `Request` is routed by the app's `http.js` router inside the sandbox and its
 * `Response` comes back. The request body is buffered; a response body is streamed as the action
 * produces it (`http-response-relay.ts`).
 */
import type { Clock } from "../shared/clock.js";
import type { Deployment } from "./deployment.js";
import type { FunctionLogs } from "./function-logs.js";
import { HostInvocation, type UserIdentity } from "./host-invocation.js";
import type {
  HttpInvocationOutcome,
  SerializedRequest,
  SerializedResponse,
} from "./sandbox/executor.js";
import { ResponseRelay } from "./http-response-relay.js";
import { SandboxLostError, type RuntimeLimits } from "./sandbox-host.js";
import type { UdfExecutor } from "./udf-executor.js";

export interface HttpActionContext {
  readonly identity: UserIdentity | null;
  readonly requestId: string;
  readonly limits: RuntimeLimits;
  readonly logs: FunctionLogs;
  readonly clock: Clock;
  readonly executor: UdfExecutor;
}

/** Statuses whose responses may not carry a body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Runs the HTTP action `request` is routed to; see `FunctionRunner.runHttpAction`. */
export async function runHttpAction(
  deployment: Deployment | null,
  request: Request,
  context: HttpActionContext,
): Promise<Response> {
  if (deployment === null || !deployment.hasHttpRouter) {
    return new Response("No matching routes found", { status: 404 });
  }
  const startedMs = context.clock.now();
  const url = new URL(request.url);
  const host = new HostInvocation(
    {
      udfPath: "http.js:default",
      kind: "httpAction",
      tx: null,
      identity: context.identity,
      depth: 0,
      requestId: context.requestId,
      journal: null,
    },
    context.executor.servicesFor(deployment),
  );
  const relay = new ResponseRelay();
  const finished = runInSandbox(deployment, request, context, host, relay).then(
    (outcome) => {
      const now = context.clock.now();
      context.logs.publish({
        udfType: "HttpAction",
        identifier: `${request.method} ${url.pathname}`,
        timestampMs: now,
        executionTimeMs: now - startedMs,
        logLines: outcome.logLines,
        error: outcome.type === "failure" ? outcome.failure.message : null,
        requestId: context.requestId,
      });
      relay.finish(
        outcome.type === "failure" ? new Error(outcome.failure.message) : null,
      );
      return outcome;
    },
    (error: unknown) => {
      relay.finish(error instanceof Error ? error : new Error(String(error)));
      throw error;
    },
  );
  // Once the head is out, the failure reaches the client through the body stream instead.
  finished.catch(() => undefined);
  const first = await Promise.race([relay.head, finished]);
  if ("type" in first) {
    return first.type === "failure"
      ? new Response(first.failure.message, { status: 500 })
      : toResponse(first.response);
  }
  return new Response(relay.body, {
    status: first.status,
    statusText: first.statusText,
    headers: first.headers as [string, string][],
  });
}

async function runInSandbox(
  deployment: Deployment,
  request: Request,
  context: HttpActionContext,
  host: HostInvocation,
  relay: ResponseRelay,
): Promise<HttpInvocationOutcome> {
  try {
    return await deployment.sandbox.runHttp(
      {
        id: context.executor.nextInvocationId(),
        request: await serializeRequest(request),
        timeLimitMs: context.limits.actionTimeoutMs,
        seed: [0, 0, 0, 0],
      },
      relay.wrap(host),
    );
  } catch (e) {
    if (!(e instanceof SandboxLostError)) throw e;
    return {
      type: "failure",
      failure: { message: "The HTTP action was interrupted. Please retry." },
      timedOut: false,
      logLines: [],
      usedMs: 0,
    };
  }
}

async function serializeRequest(request: Request): Promise<SerializedRequest> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return {
    url: request.url,
    method: request.method,
    headers: [...request.headers.entries()],
    body: hasBody ? new Uint8Array(await request.arrayBuffer()) : null,
  };
}

function toResponse(response: SerializedResponse): Response {
  const body = NULL_BODY_STATUSES.has(response.status) ? null : response.body;
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers as [string, string][],
  });
}
