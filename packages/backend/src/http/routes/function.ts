import { handleFunctionCall } from "../function-call.js";
import type { Route } from "../route.js";

/**
 * `POST /api/function` (admin only): runs any function of any kind, internal ones included; what
 * `npx convex run` calls. Args are an object.
 */
export const functionRoute: Route = {
  method: "POST",
  path: "/api/function",
  handle: (context) =>
    handleFunctionCall(context, { udfType: undefined, adminOnly: true }),
};
