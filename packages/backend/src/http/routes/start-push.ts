import {
  encodeStartPushResponse,
  parsePushRequest,
} from "../push/push-codec.js";
import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/deploy2/start_push` (admin; brotli body): stores and analyses the pushed modules
 * without touching the running deployment, and answers the analysis the CLI uses for codegen
 * plus the schema change `wait_for_schema` and `finish_push` carry on.
 */
export const startPushRoute: Route = {
  method: "POST",
  path: "/api/deploy2/start_push",
  handle: async (context) => {
    const body = await readAdminPushBody(context);
    const prepared = await context.deps.deploy.prepare(parsePushRequest(body));
    return jsonResponse(encodeStartPushResponse(prepared));
  },
};
