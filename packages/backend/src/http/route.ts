import type { FunctionRouteOptions } from "./function-call.js";
import type { HttpDeps } from "./http-deps.js";

/** What a route handler gets: the request, its parsed URL, and the app's dependencies. */
export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  readonly deps: HttpDeps;
}

/**
 * One endpoint: `handle` answers requests whose method and path match exactly. It may throw
 * a `BackendError`; `createHttpApp` turns it into the error response.
 */
export interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  /** Set on function-call routes (`callRoute`), which the Node adapter serves without a `Request`. */
  readonly call?: FunctionRouteOptions | undefined;
  handle(context: RouteContext): Promise<Response>;
}
