import { booleanField, expectObject } from "../json-fields.js";
import {
  encodeFinishPushResponse,
  pushIdFromSchemaChange,
} from "../push/push-codec.js";
import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/deploy2/finish_push` (admin; brotli body with the whole `start_push` response):
 * the commit point. Activates the prepared push atomically, or with `dryRun` only reports
 * what would change.
 */
export const finishPushRoute: Route = {
  method: "POST",
  path: "/api/deploy2/finish_push",
  handle: async (context) => {
    const body = await readAdminPushBody(context);
    const startPush = expectObject(body.startPush, "startPush");
    const pushId = pushIdFromSchemaChange(startPush.schemaChange);
    const dryRun = booleanField(body, "dryRun", false);
    const diff = await context.deps.deploy.finish(pushId, { dryRun });
    return jsonResponse(encodeFinishPushResponse(diff));
  },
};
