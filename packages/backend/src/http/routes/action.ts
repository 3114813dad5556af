import { callRoute } from "../function-call.js";

/** `POST /api/action`: runs a public action (`ConvexHttpClient.action`); admins may run internal ones. */
export const actionRoute = callRoute("/api/action", {
  udfType: "action",
  adminOnly: false,
});
