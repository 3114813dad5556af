import { requireAdmin } from "../caller.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `GET /api/check_admin_key`: 200 when the `Authorization: Convex <key>` header verifies (the
 * self-hosted dashboard's login check), 401/403 otherwise. Admin keys here allow everything.
 */
export const checkAdminKeyRoute: Route = {
  method: "GET",
  path: "/api/check_admin_key",
  handle: (context) => {
    requireAdmin(context);
    return Promise.resolve(jsonResponse({ isReadOnly: false }));
  },
};
