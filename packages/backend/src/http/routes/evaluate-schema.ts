import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/deploy2/evaluate_schema` (admin): the CLI's advisory pre-push checks (large index
 * deletions and backfills, staged validators). Hull has no staged indexes or validators, and
 * answers "nothing to warn about"; the diff itself is reported by `start_push`.
 */
export const evaluateSchemaRoute: Route = {
  method: "POST",
  path: "/api/deploy2/evaluate_schema",
  handle: async (context) => {
    await readAdminPushBody(context);
    return jsonResponse({
      componentSchemaEvaluations: {},
      newComponentDefinitions: [],
    });
  },
};
