import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/get_config_hashes` (admin): the active modules by path and sha256, so the CLI
 * sends unchanged modules by hash only.
 */
export const configHashesRoute: Route = {
  method: "POST",
  path: "/api/get_config_hashes",
  handle: async (context) => {
    await readAdminPushBody(context);
    const { deploy } = context.deps;
    return jsonResponse({
      config: { functions: "convex/", authInfo: [] },
      moduleHashes: deploy.moduleHashes().map((m) => ({
        path: m.path,
        hash: m.sha256,
        environment: m.environment,
      })),
      udfServerVersion: deploy.udfServerVersion(),
      nodeVersion: null,
    });
  },
};
