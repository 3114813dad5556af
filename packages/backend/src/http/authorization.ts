import { BackendError } from "../errors/backend-error.js";
import { must } from "../shared/asserts.js";

/**
 * What a request's `Authorization` header claims, before any verification (wire protocol §2.1):
 * - `Bearer <jwt>` (a user token),
 * - `Convex <adminKey>` (an admin),
 * - `Convex <adminKey>:<base64 JSON identity>` (an admin acting as a user),
 * - nothing at all (anonymous).
 */
export type RequestAuth =
  | { readonly type: "none" }
  | { readonly type: "user"; readonly token: string }
  | {
      readonly type: "admin";
      readonly adminKey: string;
      /** The `UserIdentityAttributes` the admin acts as, or null. */
      readonly actingAs: Readonly<Record<string, unknown>> | null;
    };

const BEARER = /^bearer\s+(.+)$/i;
const CONVEX = /^convex\s+(.+)$/i;
// Key type prefixes that Convex strips before looking for the acting-as separator.
const KEY_TYPE_PREFIX = /^(prod|dev|preview|project):/;

/**
 * Parses an `Authorization` header value (null when absent). Matches the scheme
 * case-insensitively, as Convex does. Throws `BackendError(Unauthenticated)` for an unknown
 * scheme and `BackendError(BadRequest)` for an unreadable acting-as identity.
 */
export function parseAuthorization(header: string | null): RequestAuth {
  if (header === null || header.trim() === "") return { type: "none" };
  const value = header.trim();
  const bearer = BEARER.exec(value);
  if (bearer)
    return {
      type: "user",
      token: must(bearer[1], "the pattern captures the token"),
    };
  const convex = CONVEX.exec(value);
  if (convex)
    return parseAdminCredential(
      must(convex[1], "the pattern captures the credential"),
    );
  throw new BackendError(
    "Unauthenticated",
    "InvalidAuthHeader",
    "The Authorization header must be `Bearer <token>` or `Convex <admin key>`.",
  );
}

/**
 * Splits `<adminKey>[:<base64 identity>]`. A `prod:`/`dev:` type prefix stays part of the key;
 * the acting-as part starts at the first `:` after it.
 */
export function parseAdminCredential(credential: string): RequestAuth {
  const prefix = KEY_TYPE_PREFIX.exec(credential)?.[0] ?? "";
  const rest = credential.slice(prefix.length);
  const colon = rest.indexOf(":");
  if (colon < 0) return { type: "admin", adminKey: credential, actingAs: null };
  const adminKey = prefix + rest.slice(0, colon);
  return {
    type: "admin",
    adminKey,
    actingAs: decodeActingAs(rest.slice(colon + 1)),
  };
}

function decodeActingAs(encoded: string): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BackendError(
      "BadRequest",
      "InvalidImpersonation",
      "The identity after the admin key must be base64-encoded JSON of a UserIdentity object.",
    );
  }
  return parsed as Record<string, unknown>;
}
