import { handleFunctionCall } from "../function-call.js";
import type { Route } from "../route.js";

/** `POST /api/query`: runs a public query (`ConvexHttpClient.query`); admins may run internal ones. */
export const queryRoute: Route = {
  method: "POST",
  path: "/api/query",
  handle: (context) =>
    handleFunctionCall(context, { udfType: "query", adminOnly: false }),
};
