import { callRoute } from "../function-call.js";

/** `POST /api/query`: runs a public query (`ConvexHttpClient.query`); admins may run internal ones. */
export const queryRoute = callRoute("/api/query", {
  udfType: "query",
  adminOnly: false,
});
