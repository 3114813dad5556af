import { textResponse } from "../responses.js";
import type { Route } from "../route.js";

/** `GET /version`: the server version as plain text; the health check. */
export const versionRoute: Route = {
  method: "GET",
  path: "/version",
  handle: ({ deps }) => Promise.resolve(textResponse(deps.instance.version)),
};
