import { decodeTs } from "../encoded-ts.js";
import { callRoute } from "../function-call.js";

/** `POST /api/query_at_ts`: runs a query at the snapshot `ts` from `/api/query_ts`. */
export const queryAtTsRoute = callRoute("/api/query_at_ts", {
  udfType: "query",
  adminOnly: false,
  readTs: (body) => decodeTs(body.ts),
});
