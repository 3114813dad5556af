import { requireAdmin } from "../caller.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/** `GET /api/v1/get_canonical_urls` (admin): the configured cloud and site origins. */
export const canonicalUrlsRoute: Route = {
  method: "GET",
  path: "/api/v1/get_canonical_urls",
  handle: (context) => {
    requireAdmin(context);
    const { cloudOrigin, siteOrigin } = context.deps.instance;
    return Promise.resolve(
      jsonResponse({ convexCloudUrl: cloudOrigin, convexSiteUrl: siteOrigin }),
    );
  },
};
