import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/deploy2/report_push_completed` (admin): the CLI's push timing spans. Hull has no
 * tracing backend; the spans are accepted and dropped.
 */
export const reportPushCompletedRoute: Route = {
  method: "POST",
  path: "/api/deploy2/report_push_completed",
  handle: async (context) => {
    await readAdminPushBody(context);
    return jsonResponse({});
  },
};
