import { callRoute } from "../function-call.js";

/**
 * `POST /api/function` (admin only): runs any function of any kind, internal ones included; what
 * `npx convex run` calls. Args are an object.
 */
export const functionRoute = callRoute("/api/function", {
  udfType: undefined,
  adminOnly: true,
});
