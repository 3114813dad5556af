import { handleFunctionCall } from "../function-call.js";
import type { Route } from "../route.js";

/** `POST /api/action`: runs a public action (`ConvexHttpClient.action`); admins may run internal ones. */
export const actionRoute: Route = {
  method: "POST",
  path: "/api/action",
  handle: (context) =>
    handleFunctionCall(context, { udfType: "action", adminOnly: false }),
};
