import { handleFunctionCall } from "../function-call.js";
import type { Route } from "../route.js";

/** `POST /api/mutation`: runs a public mutation (`ConvexHttpClient.mutation`); admins may run internal ones. */
export const mutationRoute: Route = {
  method: "POST",
  path: "/api/mutation",
  handle: (context) =>
    handleFunctionCall(context, { udfType: "mutation", adminOnly: false }),
};
