import { BackendError } from "../../errors/backend-error.js";
import { requireAdmin } from "../caller.js";
import type { EnvironmentVariableChange } from "../http-deps.js";
import { arrayField, expectObject, stringField } from "../json-fields.js";
import { MAX_FUNCTION_BODY_BYTES, readJsonBody } from "../request-body.js";
import { jsonResponse } from "../responses.js";
import type { Route } from "../route.js";

/**
 * `POST /api/update_environment_variables` (admin): `{changes: [{name, value}]}` from
 * `npx convex env set/remove`; a null value removes the variable. All changes apply together.
 */
export const updateEnvironmentVariablesRoute: Route = {
  method: "POST",
  path: "/api/update_environment_variables",
  handle: async (context) => {
    requireAdmin(context);
    const body = expectObject(
      await readJsonBody(context.request, {
        maxBytes: MAX_FUNCTION_BODY_BYTES,
      }),
      "the request body",
    );
    const changes = arrayField(body, "changes").map(
      (entry): EnvironmentVariableChange => {
        const change = expectObject(entry, "a change");
        const value = change.value;
        if (
          value !== null &&
          value !== undefined &&
          typeof value !== "string"
        ) {
          throw new BackendError(
            "BadRequest",
            "InvalidRequest",
            `Expected the value of "${stringField(change, "name")}" to be a string or null.`,
          );
        }
        return { name: stringField(change, "name"), value: value ?? null };
      },
    );
    await context.deps.environment.update(changes);
    return jsonResponse({});
  },
};
