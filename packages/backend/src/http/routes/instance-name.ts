import { textResponse } from "../responses.js";
import type { Route } from "../route.js";

/** `GET /instance_name`: the instance name as plain text. */
export const instanceNameRoute: Route = {
  method: "GET",
  path: "/instance_name",
  handle: ({ deps }) =>
    Promise.resolve(textResponse(deps.instance.instanceName)),
};
