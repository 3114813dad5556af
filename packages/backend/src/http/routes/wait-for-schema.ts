import { clientSignal } from "../fast-path.js";
import type { JsonObject } from "../json-fields.js";
import type { SchemaStatus } from "../push/deploy-api.js";
import { pushIdFromSchemaChange } from "../push/push-codec.js";
import { readAdminPushBody } from "../push/push-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

// The CLI asks for 10 s; never hold a request much longer than that.
const MAX_WAIT_MS = 30_000;

/**
 * `POST /api/deploy2/wait_for_schema` (admin, long-poll): schema validation and index backfill
 * progress of a started push: `inProgress` (the CLI polls again), `failed`, or `complete`.
 */
export const waitForSchemaRoute: Route = {
  method: "POST",
  path: "/api/deploy2/wait_for_schema",
  handle: async (context) => {
    const body = await readAdminPushBody(context);
    const pushId = pushIdFromSchemaChange(body.schemaChange);
    const requested =
      typeof body.timeoutMs === "number" ? body.timeoutMs : MAX_WAIT_MS;
    const timeoutMs = Math.max(0, Math.min(requested, MAX_WAIT_MS));
    const status = await context.deps.deploy.waitForSchema(
      pushId,
      timeoutMs,
      clientSignal(context.request),
    );
    return jsonResponse(encodeSchemaStatus(status));
  },
};

function encodeSchemaStatus(status: SchemaStatus): JsonObject {
  switch (status.type) {
    case "inProgress":
      return {
        type: "inProgress",
        components: {
          "": {
            schemaValidationComplete: status.schemaValidationComplete,
            indexesComplete: status.indexesComplete,
            indexesTotal: status.indexesTotal,
          },
        },
      };
    case "failed":
      return {
        type: "failed",
        error: status.error,
        componentPath: "",
        tableName: status.tableName,
      };
    case "complete":
      return { type: "complete" };
    default:
      return status satisfies never;
  }
}
