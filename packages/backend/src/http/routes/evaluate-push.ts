import { encodeSchemaChange, parsePushRequest } from "../push/push-codec.js";
import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/deploy2/evaluate_push` (admin; `npx convex deploy`): analyses the candidate like
 * `start_push` and answers only its `schemaChange` (the index diff), changing nothing.
 */
export const evaluatePushRoute: Route = {
  method: "POST",
  path: "/api/deploy2/evaluate_push",
  handle: async (context) => {
    const body = await readAdminPushBody(context);
    const prepared = await context.deps.deploy.prepare(parsePushRequest(body));
    return jsonResponse({ schemaChange: encodeSchemaChange(prepared) });
  },
};
