import { requireAdmin } from "../caller.js";
import { expectObject, type JsonObject } from "../json-fields.js";
import { MAX_PUSH_BODY_BYTES, readJsonBody } from "../request-body.js";
import type { RouteContext } from "../route.js";

/**
 * Reads a push-route body (brotli or plain JSON, up to the push size limit) and requires an
 * admin, from the header or the body's `adminKey` as the CLI sends both.
 */
export async function readAdminPushBody(
  context: RouteContext,
): Promise<JsonObject> {
  const body = expectObject(
    await readJsonBody(context.request, { maxBytes: MAX_PUSH_BODY_BYTES }),
    "the request body",
  );
  requireAdmin(context, body.adminKey);
  return body;
}
