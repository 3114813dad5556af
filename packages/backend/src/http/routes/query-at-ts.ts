import { decodeTs } from "../encoded-ts.js";
import { handleFunctionCall } from "../function-call.js";
import type { Route } from "../route.js";

/** `POST /api/query_at_ts`: runs a query at the snapshot `ts` from `/api/query_ts`. */
export const queryAtTsRoute: Route = {
  method: "POST",
  path: "/api/query_at_ts",
  handle: (context) =>
    handleFunctionCall(context, {
      udfType: "query",
      adminOnly: false,
      readTs: (body) => decodeTs(body.ts),
    }),
};
