import { callRoute } from "../function-call.js";

/** `POST /api/mutation`: runs a public mutation (`ConvexHttpClient.mutation`); admins may run internal ones. */
export const mutationRoute = callRoute("/api/mutation", {
  udfType: "mutation",
  adminOnly: false,
});
