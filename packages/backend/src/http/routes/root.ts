import { textResponse } from "../responses.js";
import type { Route } from "../route.js";

/** `GET /`: a short note for people who open the URL in a browser. */
export const rootRoute: Route = {
  method: "GET",
  path: "/",
  handle: ({ deps }) =>
    Promise.resolve(
      textResponse(
        `This Convex deployment is running (Hull ${deps.instance.version}, instance "${deps.instance.instanceName}"). See https://docs.convex.dev/ for how to use it.`,
      ),
    ),
};
