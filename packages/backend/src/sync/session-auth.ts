/**
 * What an `Authenticate` message makes of a socket's caller: anonymous, a verified user, or an
 * admin (optionally impersonating a user).
 */
import { toBackendError } from "../errors/backend-error.js";
import type { Authenticate } from "./protocol.js";
import { type QueryCaller, stableStringify } from "./query-hub.js";
import type { SyncAuthVerifier, UserIdentity } from "./sync-deps.js";

export const ANONYMOUS: QueryCaller = {
  key: "anonymous",
  identity: null,
  isAdmin: false,
};

/** The new caller, or the reason to answer with an `AuthError`. */
export type AuthOutcome =
  | {
      readonly type: "accepted";
      readonly caller: QueryCaller;
      /** When a user token stops being valid (its `exp`), in epoch ms; null: never. */
      readonly expiresAtMs?: number | null | undefined;
    }
  | { readonly type: "rejected"; readonly reason: string };

/**
 * Verifies `message`. A bad admin key or a user token the verifier rejects as `Unauthenticated`
 * is `rejected`; any other verifier failure is rethrown (an infrastructure error).
 */
export async function authenticate(
  message: Authenticate,
  auth: SyncAuthVerifier,
): Promise<AuthOutcome> {
  switch (message.tokenType) {
    case "None":
      return { type: "accepted", caller: ANONYMOUS };
    case "Admin": {
      if (!auth.checkAdminKey(message.value)) {
        return {
          type: "rejected",
          reason: "The provided admin key is not valid for this instance.",
        };
      }
      const identity =
        message.impersonating === undefined
          ? null
          : toUserIdentity(message.impersonating);
      return {
        type: "accepted",
        caller: {
          key: `admin:${stableStringify(identity)}`,
          identity,
          isAdmin: true,
        },
      };
    }
    case "User": {
      try {
        const identity = await auth.verifyUserToken(message.value);
        return {
          type: "accepted",
          caller: {
            key: `user:${stableStringify(identity)}`,
            identity,
            isAdmin: false,
          },
          expiresAtMs: tokenExpiryMs(message.value),
        };
      } catch (e) {
        const error = toBackendError(e);
        if (error.code !== "Unauthenticated") throw error;
        return { type: "rejected", reason: error.message };
      }
    }
    default:
      return message satisfies never;
  }
}

/**
 * The `exp` claim of a JWT that already verified, in epoch ms; null when it has none (or is not
 * a JWT, as with test verifiers).
 */
export function tokenExpiryMs(token: string): number | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(
      Buffer.from(payload, "base64url").toString("utf8"),
    ) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** Fills `tokenIdentifier` the way Convex derives it when an impersonated identity lacks one. */
function toUserIdentity(attributes: UserIdentity): UserIdentity {
  const { issuer, subject } = attributes;
  if (
    attributes.tokenIdentifier !== undefined ||
    typeof issuer !== "string" ||
    typeof subject !== "string"
  ) {
    return attributes;
  }
  return { ...attributes, tokenIdentifier: `${issuer}|${subject}` };
}
