import { BackendError } from "../errors/backend-error.js";
import { isPreflight, preflightResponse, withCors } from "./cors.js";
import { bufferedBody } from "./fast-path.js";
import type { HttpDeps, UserIdentity } from "./http-deps.js";
import { errorResponse } from "./responses.js";
import type { Route, RouteContext } from "./route.js";
import { actionRoute } from "./routes/action.js";
import { canonicalUrlsRoute } from "./routes/canonical-urls.js";
import { checkAdminKeyRoute } from "./routes/check-admin-key.js";
import { configHashesRoute } from "./routes/config-hashes.js";
import { evaluatePushRoute } from "./routes/evaluate-push.js";
import { evaluateSchemaRoute } from "./routes/evaluate-schema.js";
import { finishPushRoute } from "./routes/finish-push.js";
import { functionRoute } from "./routes/function.js";
import { instanceNameRoute } from "./routes/instance-name.js";
import { mutationRoute } from "./routes/mutation.js";
import { queryAtTsRoute } from "./routes/query-at-ts.js";
import { queryTsRoute } from "./routes/query-ts.js";
import { queryRoute } from "./routes/query.js";
import { reportPushCompletedRoute } from "./routes/report-push-completed.js";
import { rootRoute } from "./routes/root.js";
import { startPushRoute } from "./routes/start-push.js";
import { handleStorageRequest, isStoragePath } from "./routes/storage.js";
import { streamFunctionLogsRoute } from "./routes/stream-function-logs.js";
import { updateEnvironmentVariablesRoute } from "./routes/update-environment-variables.js";
import { versionRoute } from "./routes/version.js";
import { waitForSchemaRoute } from "./routes/wait-for-schema.js";

/** A fetch-style handler: one `Request` in, one `Response` out. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Every route of the client port except HTTP actions. */
export const ROUTES: readonly Route[] = [
  rootRoute,
  versionRoute,
  instanceNameRoute,
  checkAdminKeyRoute,
  canonicalUrlsRoute,
  configHashesRoute,
  evaluateSchemaRoute,
  evaluatePushRoute,
  startPushRoute,
  waitForSchemaRoute,
  finishPushRoute,
  reportPushCompletedRoute,
  queryRoute,
  mutationRoute,
  actionRoute,
  functionRoute,
  queryTsRoute,
  queryAtTsRoute,
  streamFunctionLogsRoute,
  updateEnvironmentVariablesRoute,
];

/** Paths under this prefix on the client port are HTTP actions (`<cloud origin>/http/...`). */
const HTTP_ACTION_PREFIX = "/http";

/**
 * The client port's HTTP surface (port 3210): the public function API, the CLI's admin and push
 * API, health endpoints, CORS for browsers, and HTTP actions under `/http/`. Never rejects:
 * every failure becomes a response through the one error exit (`responses.ts`).
 */
export function createHttpApp(deps: HttpDeps): FetchHandler {
  const routes = new Map(
    ROUTES.map((route) => [`${route.method} ${route.path}`, route]),
  );
  const site = createSiteApp(deps);
  return async (request) => {
    const url = new URL(request.url);
    if (
      url.pathname === HTTP_ACTION_PREFIX ||
      url.pathname.startsWith(`${HTTP_ACTION_PREFIX}/`)
    ) {
      return await site(stripPrefix(request, url));
    }
    if (isPreflight(request)) return preflightResponse(request);
    const route = routes.get(`${request.method} ${url.pathname}`);
    const context: RouteContext = { request, url, deps };
    try {
      if (route === undefined && isStoragePath(url.pathname)) {
        return withCors(
          request,
          await handleStorageRequest(request, url, deps),
        );
      }
      if (route === undefined) throw notFound(request.method, url.pathname);
      return withCors(request, await route.handle(context));
    } catch (error) {
      return withCors(request, errorResponse(error, deps.logger));
    }
  };
}

/**
 * The site port's surface (port 3211): every request is an HTTP action, routed by the app's
 * `http.js`. Before the runtime offers HTTP actions, every path is a 404.
 */
export function createSiteApp(deps: HttpDeps): FetchHandler {
  return async (request) => {
    try {
      const run = deps.functions.runHttpAction?.bind(deps.functions);
      if (run === undefined)
        throw notFound(request.method, new URL(request.url).pathname);
      return await run(request, {
        identity: await httpActionIdentity(request, deps),
      });
    } catch (error) {
      return errorResponse(error, deps.logger);
    }
  };
}

/**
 * The identity of an HTTP action's `Authorization: Bearer` token. A token that does not verify
 * leaves the request anonymous rather than failing it: webhooks may carry bearer tokens of their
 * own scheme, which the action checks itself.
 */
async function httpActionIdentity(
  request: Request,
  deps: HttpDeps,
): Promise<UserIdentity | null> {
  const token = /^bearer\s+(\S+)\s*$/i.exec(
    request.headers.get("authorization") ?? "",
  )?.[1];
  if (token === undefined || deps.verifyUserToken === undefined) return null;
  try {
    return await deps.verifyUserToken(token);
  } catch (error) {
    deps.logger.debug("HTTP action token rejected; running anonymously", {
      error: String(error),
    });
    return null;
  }
}

/**
 * The request as the site port would see it: the path without `/http`, and the body back in the
 * standard API (the client port's adapter keeps it only in the side table), since HTTP actions
 * hand the request to user code.
 */
function stripPrefix(request: Request, url: URL): Request {
  const rewritten = new URL(url);
  rewritten.pathname = url.pathname.slice(HTTP_ACTION_PREFIX.length) || "/";
  const buffered = bufferedBody(request);
  if (buffered === undefined) return new Request(rewritten, request);
  return new Request(rewritten, {
    method: request.method,
    headers: request.headers,
    body: buffered,
  });
}

function notFound(method: string, path: string): BackendError {
  return new BackendError(
    "NotFound",
    "NotFound",
    `No endpoint for ${method} ${path}.`,
  );
}
