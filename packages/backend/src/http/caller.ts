import { BackendError } from "../errors/backend-error.js";
import type { JsonValue } from "../values/value.js";
import { parseAuthorization } from "./authorization.js";
import type { HttpDeps, UserIdentity } from "./http-deps.js";
import type { RouteContext } from "./route.js";

/** Who is calling, after verification. */
export interface Caller {
  readonly isAdmin: boolean;
  /** What `ctx.auth.getUserIdentity()` returns to the functions this caller runs. */
  readonly identity: UserIdentity | null;
}

/**
 * Verifies the caller of a function route from its `Authorization` header: anonymous without one, a user with
 * `Bearer <jwt>` (verified by `deps.verifyUserToken`; 401 when it does not verify), an admin
 * (optionally acting as a user) with `Convex <key>[:<identity>]`. Throws 403 `BadAdminKey` for a
 * key that does not verify.
 */
export async function resolveCaller(
  authorization: string | null,
  deps: HttpDeps,
): Promise<Caller> {
  const auth = parseAuthorization(authorization);
  switch (auth.type) {
    case "none":
      return { isAdmin: false, identity: null };
    case "user": {
      const verify = deps.verifyUserToken?.bind(deps);
      return {
        isAdmin: false,
        identity: verify === undefined ? null : await verify(auth.token),
      };
    }
    case "admin":
      assertAdminKey(deps, auth.adminKey);
      return {
        isAdmin: true,
        identity: auth.actingAs === null ? null : toUserIdentity(auth.actingAs),
      };
    default:
      return auth satisfies never;
  }
}

/**
 * Requires an admin caller, from the `Authorization` header or (push routes) an `adminKey` in
 * the body. Throws 401 `MissingAdminKey` when there is none and 403 `BadAdminKey` when it does
 * not verify.
 */
export function requireAdmin(
  context: RouteContext,
  bodyAdminKey?: unknown,
): void {
  const auth = parseAuthorization(context.request.headers.get("authorization"));
  const key =
    auth.type === "admin"
      ? auth.adminKey
      : typeof bodyAdminKey === "string"
        ? bodyAdminKey
        : null;
  if (key === null) {
    throw new BackendError(
      "Unauthenticated",
      "MissingAdminKey",
      "This endpoint requires an admin key: send `Authorization: Convex <admin key>` (get one with `npx hull admin-key`).",
    );
  }
  assertAdminKey(context.deps, key);
}

function assertAdminKey(deps: HttpDeps, adminKey: string): void {
  if (!deps.checkAdminKey(adminKey)) {
    throw new BackendError(
      "Forbidden",
      "BadAdminKey",
      `The provided admin key is not valid for this instance ("${deps.instance.instanceName}").`,
    );
  }
}

/** Fills `tokenIdentifier` the way Convex derives it when an impersonated identity lacks one. */
function toUserIdentity(
  attributes: Readonly<Record<string, unknown>>,
): UserIdentity {
  const identity = { ...attributes } as Record<string, JsonValue>;
  const { issuer, subject } = identity;
  if (
    identity.tokenIdentifier === undefined &&
    typeof issuer === "string" &&
    typeof subject === "string"
  ) {
    identity.tokenIdentifier = `${issuer}|${subject}`;
  }
  return identity;
}
