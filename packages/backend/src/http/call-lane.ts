/**
 * The call lane: function calls (`POST /api/query|mutation|action|function|query_at_ts`) served
 * from the Node adapter's own view of a request, with no WHATWG `Request`, `Headers` or
 * `Response`. Undici's constructors (header lists, an abort signal per request, a body stream per
 * response) cost about a quarter of the event loop's time per HTTP mutation. The lane answers
 * exactly what the fetch-style app answers for the same request (`runFunctionCall`, the same
 * error exit, the same CORS headers); `function-call.test.ts` runs the function-route cases through
 * both.
 */
import { originHeaders } from "./cors.js";
import { runFunctionCall, type FunctionRouteOptions } from "./function-call.js";
import { ROUTES } from "./http-app.js";
import type { HttpDeps } from "./http-deps.js";
import type { HeaderLookup } from "./request-body.js";
import { errorAnswer } from "./responses.js";

/** A function call as the adapter hands it over: its headers and its body as it came. */
export interface LaneRequest {
  readonly method: string;
  /** The URL's path, without its query. */
  readonly path: string;
  readonly headers: HeaderLookup;
  readonly body: Buffer;
}

/** What to write back: always a JSON text. */
export interface LaneResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface CallLane {
  /** Whether the lane serves `method` on `path` (asked before the body is read). */
  accepts(method: string, path: string): boolean;
  /** Answers an accepted call; never rejects. */
  serve(request: LaneRequest): Promise<LaneResponse>;
}

/** The lane over the client port's function-call routes. */
export function createCallLane(deps: HttpDeps): CallLane {
  const calls = new Map<string, FunctionRouteOptions>();
  for (const route of ROUTES) {
    if (route.call !== undefined)
      calls.set(`${route.method} ${route.path}`, route.call);
  }
  return {
    accepts: (method, path) => calls.has(`${method} ${path}`),
    async serve(request) {
      const options = calls.get(`${request.method} ${request.path}`);
      let status = 200;
      let body: unknown;
      try {
        if (options === undefined)
          throw new Error(`The call lane does not serve ${request.path}`);
        body = await runFunctionCall(
          {
            headers: request.headers,
            readBody: () => Promise.resolve(request.body),
          },
          deps,
          options,
        );
      } catch (error) {
        ({ status, body } = errorAnswer(error, deps.logger));
      }
      const origin = request.headers.get("origin");
      return {
        status,
        headers: {
          "Content-Type": "application/json",
          ...(origin === null ? {} : originHeaders(origin)),
        },
        text: JSON.stringify(body),
      };
    },
  };
}
