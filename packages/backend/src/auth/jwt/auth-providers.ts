/**
 * The `providers` of an app's `auth.config.ts` (convex-js `server/authentication.ts`
 * `AuthProvider`), validated once at deploy so verification can trust their shape.
 */
import { BackendError } from "../../errors/backend-error.js";

/** An OpenID Connect provider: keys come from discovery on `domain`. */
export interface OidcProvider {
  readonly type: "oidc";
  /** The issuer URL (`iss` must equal it, ignoring a trailing slash). */
  readonly domain: string;
  /** Must be among the token's audiences. */
  readonly applicationID: string;
}

/** A `type: "customJwt"` provider: keys come from `jwks` (URL or `data:` URI). */
export interface CustomJwtProvider {
  readonly type: "customJwt";
  readonly issuer: string;
  readonly jwks: string;
  readonly algorithm: "RS256" | "ES256";
  /** When set, must be among the token's audiences; when omitted `aud` is not checked. */
  readonly applicationID?: string | undefined;
}

export type AuthProvider = OidcProvider | CustomJwtProvider;

function invalidConfig(index: number, message: string): BackendError {
  return new BackendError(
    "BadRequest",
    "InvalidAuthConfig",
    `Invalid auth.config.ts provider #${index}: ${message}`,
  );
}

/**
 * Validates `auth.config.ts`'s `providers` as evaluated at push. Throws `BackendError`
 * (`BadRequest`, `InvalidAuthConfig`) naming the provider and the field.
 */
export function parseAuthProviders(
  providers: readonly unknown[],
): AuthProvider[] {
  return providers.map((provider, index) => parseProvider(provider, index));
}

function parseProvider(provider: unknown, index: number): AuthProvider {
  if (
    typeof provider !== "object" ||
    provider === null ||
    Array.isArray(provider)
  ) {
    throw invalidConfig(index, "expected an object");
  }
  const fields = provider as Record<string, unknown>;
  const text = (name: string): string => {
    const value = fields[name];
    if (typeof value !== "string" || value === "") {
      throw invalidConfig(
        index,
        `\`${name}\` must be a non-empty string, got ${JSON.stringify(value) ?? "undefined"}`,
      );
    }
    return value;
  };
  if (fields.type === undefined || fields.type === "oidc") {
    return {
      type: "oidc",
      domain: text("domain"),
      applicationID: text("applicationID"),
    };
  }
  if (fields.type !== "customJwt") {
    throw invalidConfig(
      index,
      `unknown provider type ${JSON.stringify(fields.type)}`,
    );
  }
  const algorithm = fields.algorithm;
  if (!isCustomJwtAlgorithm(algorithm)) {
    throw invalidConfig(
      index,
      `\`algorithm\` must be "RS256" or "ES256", got ${JSON.stringify(algorithm) ?? "undefined"}`,
    );
  }
  const jwks = text("jwks");
  if (!/^(https?|data):/i.test(jwks)) {
    throw invalidConfig(
      index,
      `\`jwks\` must be an http(s) URL or a data: URI, got ${JSON.stringify(jwks)}`,
    );
  }
  const base = {
    type: "customJwt" as const,
    issuer: text("issuer"),
    jwks,
    algorithm,
  };
  return fields.applicationID === undefined
    ? base
    : { ...base, applicationID: text("applicationID") };
}

function isCustomJwtAlgorithm(
  value: unknown,
): value is CustomJwtProvider["algorithm"] {
  return value === "RS256" || value === "ES256";
}
