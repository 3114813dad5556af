/**
 * Verified JWT claims → the `UserIdentity` object `ctx.auth.getUserIdentity()` returns, as Convex
 * builds it:
 * - `tokenIdentifier` is `${iss}|${sub}`, with `subject` and `issuer` beside it;
 * - the OpenID Connect standard claims are renamed to camelCase (table below); `address` becomes
 *   its `formatted` string and a numeric `updated_at` an RFC 3339 string (convex-backend
 *   `keybroker` `UserIdentity::from_token`, serialised by `sync_types` `UserIdentityAttributesJson`);
 * - every other claim is kept as a custom claim with its JSON type (numbers, booleans, arrays,
 *   null); JWT registered claims are dropped, and for OIDC tokens so are the ID-token protocol
 *   claims (`nonce`, `auth_time`, …);
 * - nested objects: an OIDC token keeps them as objects, a custom JWT flattens them into
 *   dot-separated keys (`properties.id`), as the Convex docs describe (`auth/advanced/custom-jwt`).
 */
import type { JsonValue } from "../../values/value.js";
import type { JsonObject } from "./jwt-token.js";

/** The identity user code sees (the same shape as `runtime/`'s and `sync/`'s `UserIdentity`). */
export type UserIdentity = Readonly<Record<string, JsonValue>>;

type StandardKind = "string" | "boolean" | "address" | "time";

/** OIDC claim → [UserIdentity field, value kind]. */
const STANDARD_CLAIMS: Readonly<
  Record<string, readonly [string, StandardKind]>
> = {
  name: ["name", "string"],
  given_name: ["givenName", "string"],
  family_name: ["familyName", "string"],
  nickname: ["nickname", "string"],
  preferred_username: ["preferredUsername", "string"],
  profile: ["profileUrl", "string"],
  picture: ["pictureUrl", "string"],
  website: ["websiteUrl", "string"],
  email: ["email", "string"],
  email_verified: ["emailVerified", "boolean"],
  gender: ["gender", "string"],
  birthdate: ["birthday", "string"],
  zoneinfo: ["timezone", "string"],
  locale: ["language", "string"],
  phone_number: ["phoneNumber", "string"],
  phone_number_verified: ["phoneNumberVerified", "boolean"],
  address: ["address", "address"],
  updated_at: ["updatedAt", "time"],
};

/** RFC 7519 §4.1: validated by the verifier, never shown to user code. */
const REGISTERED_CLAIMS = new Set([
  "iss",
  "sub",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
]);
/** OpenID Connect Core §2 ID-token claims that only serve the protocol. */
const OIDC_PROTOCOL_CLAIMS = new Set([
  "auth_time",
  "nonce",
  "acr",
  "amr",
  "azp",
  "at_hash",
  "c_hash",
]);

const IDENTITY_FIELDS = new Set([
  "tokenIdentifier",
  "subject",
  "issuer",
  ...Object.values(STANDARD_CLAIMS).map(([field]) => field),
]);

export type TokenKind = "oidc" | "customJwt";

/** Builds the identity of a verified token; `iss` and `sub` must already be strings. */
export function toUserIdentity(
  claims: JsonObject,
  kind: TokenKind,
): UserIdentity {
  const issuer = claims.iss as string;
  const subject = claims.sub as string;
  const identity: Record<string, JsonValue> = {
    tokenIdentifier: `${issuer}|${subject}`,
    subject,
    issuer,
  };
  const custom: Record<string, JsonValue> = {};
  for (const [claim, raw] of Object.entries(claims)) {
    if (raw === undefined || REGISTERED_CLAIMS.has(claim)) continue;
    if (kind === "oidc" && OIDC_PROTOCOL_CLAIMS.has(claim)) continue;
    const standard = STANDARD_CLAIMS[claim];
    if (standard !== undefined) {
      const value = standardValue(raw, standard[1]);
      if (value !== undefined) identity[standard[0]] = value;
    } else if (kind === "customJwt" && isPlainObject(raw)) {
      flattenInto(custom, claim, raw);
    } else {
      custom[claim] = raw as JsonValue;
    }
  }
  for (const [key, value] of Object.entries(custom)) {
    if (!IDENTITY_FIELDS.has(key)) identity[key] = value;
  }
  return identity;
}

/** A standard claim's value, or undefined when it has the wrong type (it is then dropped). */
function standardValue(
  raw: unknown,
  kind: StandardKind,
): JsonValue | undefined {
  switch (kind) {
    case "string":
      return typeof raw === "string" ? raw : undefined;
    case "boolean":
      // Some providers (Amazon Cognito) send "true"/"false".
      if (typeof raw === "boolean") return raw;
      return raw === "true" ? true : raw === "false" ? false : undefined;
    case "address": {
      if (typeof raw === "string") return raw;
      const formatted = isPlainObject(raw) ? raw.formatted : undefined;
      return typeof formatted === "string" ? formatted : undefined;
    }
    case "time":
      if (typeof raw === "string") return raw;
      return typeof raw === "number" && Number.isFinite(raw)
        ? toRfc3339(raw)
        : undefined;
    default:
      return kind satisfies never;
  }
}

/**
 * Seconds since the epoch as chrono's `DateTime<Utc>::to_rfc3339()` prints them:
 * `2024-01-02T03:04:05+00:00`, with milliseconds only when there are any.
 */
function toRfc3339(seconds: number): string {
  const iso = new Date(Math.round(seconds * 1000)).toISOString();
  const trimmed = iso.endsWith(".000Z") ? iso.slice(0, -5) : iso.slice(0, -1);
  return `${trimmed}+00:00`;
}

function flattenInto(
  out: Record<string, JsonValue>,
  prefix: string,
  value: { readonly [key: string]: unknown },
): void {
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    const path = `${prefix}.${key}`;
    if (isPlainObject(inner)) flattenInto(out, path, inner);
    else out[path] = inner as JsonValue;
  }
}

function isPlainObject(
  value: unknown,
): value is { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
