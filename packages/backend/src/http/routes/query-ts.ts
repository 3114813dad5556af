import { encodeTs } from "../encoded-ts.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/query_ts`: the newest committed timestamp, which `ConvexHttpClient.consistentQuery`
 * then reads at through `/api/query_at_ts`.
 */
export const queryTsRoute: Route = {
  method: "POST",
  path: "/api/query_ts",
  handle: ({ deps }) =>
    Promise.resolve(jsonResponse({ ts: encodeTs(deps.latestTs()) })),
};
