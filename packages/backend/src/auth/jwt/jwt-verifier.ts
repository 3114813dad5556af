/**
 * User JWT verification against an app's `auth.config.ts` providers, as Convex does it
 * (convex-backend `crates/authentication` `validate_id_token` and the custom JWT path):
 *
 * 1. Decode the token without trusting it; read `iss` and `aud`.
 * 2. Pick the first provider whose issuer equals `iss` ignoring trailing slashes (Auth0 issues
 *    `https://x.auth0.com/` while users configure `https://x.auth0.com`) and whose
 *    `applicationID`, when it has one, is among the audiences. None → `NoAuthProvider`.
 * 3. OIDC: fetch `<iss>/.well-known/openid-configuration`, then its `jwks_uri`; accept RS256,
 *    ES256 or EdDSA; require `sub`, `exp` and `iat`; refuse tokens that name audiences besides
 *    the application (the OpenID verifier Convex uses does). Every failure reads "Could not
 *    verify OIDC token claim…", as on Convex.
 *    Custom JWT: keys from the configured `jwks`; the header must name a `kid` and the
 *    configured `algorithm`; require `sub` and `exp`.
 * 4. Time claims allow {@link CLOCK_SKEW_LEEWAY_S} of clock skew: `exp` (expired), `nbf` (not yet
 *    valid), `iat` (issued in the future).
 *
 * Every rejection is a `BackendError` with code `Unauthenticated`; {@link jwtFailureOf} tells
 * an expired token from a bad one.
 */
import type { Clock } from "../../shared/clock.js";
import type {
  AuthProvider,
  CustomJwtProvider,
  OidcProvider,
} from "./auth-providers.js";
import {
  candidateKeys,
  verifyJws,
  type JwsAlgorithm,
  type PublicJwk,
} from "./jwk-set.js";
import {
  jwtError,
  malformedToken,
  MISSING_ISSUER_MESSAGE,
  OIDC_VERIFY_FAILED_MESSAGE,
} from "./jwt-errors.js";
import {
  audiencesOf,
  decodeJwt,
  type DecodedJwt,
  type JsonObject,
} from "./jwt-token.js";
import { KeySource, type FetchLike } from "./key-source.js";
import { toUserIdentity, type UserIdentity } from "./user-identity.js";

/** Clock skew tolerated on `exp`, `nbf` and `iat` (Convex validates custom JWTs with 5 s). */
export const CLOCK_SKEW_LEEWAY_S = 5;

const OIDC_ALGORITHMS: readonly JwsAlgorithm[] = ["RS256", "ES256", "EdDSA"];

/** A verified token. */
export interface VerifiedJwt {
  readonly identity: UserIdentity;
  /** `exp` in epoch ms: the sync layer ends the identity then (`AuthError`, not attempted). */
  readonly expiresAtMs: number;
}

export interface JwtVerifier {
  /**
   * Verifies `token` against the providers. Resolves with the identity user code sees; rejects
   * with a `BackendError` (`Unauthenticated`) whose {@link jwtFailureOf} says why.
   */
  verify(token: string): Promise<VerifiedJwt>;
}

export interface JwtVerifierOptions {
  /** From {@link parseAuthProviders}. */
  readonly providers: readonly AuthProvider[];
  /** Used for discovery documents and JWKS URLs (never for `data:` URIs). */
  readonly fetch: FetchLike;
  readonly clock: Pick<Clock, "now">;
  /** How long fetched documents are reused; default `DEFAULT_KEY_CACHE_TTL_MS`. */
  readonly cacheTtlMs?: number | undefined;
}

/** Creates a verifier; it caches fetched keys, so keep one per deployed auth config. */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const keys = new KeySource(options);
  const { providers, clock } = options;
  return {
    async verify(token) {
      const jwt = decodeJwt(token);
      const issuer = jwt.payload.iss;
      if (typeof issuer !== "string")
        throw malformedToken(MISSING_ISSUER_MESSAGE);
      const provider = findProvider(
        providers,
        issuer,
        audiencesOf(jwt.payload),
      );
      const nowS = clock.now() / 1000;
      return provider.type === "oidc"
        ? verifyOidc(jwt, provider, issuer, keys, nowS)
        : verifyCustomJwt(jwt, provider, keys, nowS);
    },
  };
}

const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, "");

function findProvider(
  providers: readonly AuthProvider[],
  issuer: string,
  audiences: string[],
): AuthProvider {
  const found = providers.find(
    (p) =>
      withoutTrailingSlash(p.type === "oidc" ? p.domain : p.issuer) ===
        withoutTrailingSlash(issuer) &&
      (p.applicationID === undefined || audiences.includes(p.applicationID)),
  );
  if (found !== undefined) return found;
  if (providers.length === 0) {
    throw jwtError(
      "noProvider",
      "NoAuthProvider",
      "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.",
    );
  }
  const list = providers.map((p) =>
    p.type === "oidc"
      ? `OIDC(domain=${p.domain}, app_id=${p.applicationID})`
      : `CustomJWT(issuer=${p.issuer}, app_id=${p.applicationID ?? "none"})`,
  );
  throw jwtError(
    "noProvider",
    "NoAuthProvider",
    `No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [${list.join(", ")}]`,
  );
}

async function verifyOidc(
  jwt: DecodedJwt,
  provider: OidcProvider,
  issuer: string,
  keys: KeySource,
  nowS: number,
): Promise<VerifiedJwt> {
  const rejected = (failure: "invalid" | "expired" | "malformed" = "invalid") =>
    jwtError(failure, "Unauthenticated", OIDC_VERIFY_FAILED_MESSAGE);
  const alg = OIDC_ALGORITHMS.find((a) => a === jwt.header.alg);
  if (alg === undefined) throw rejected();
  const discovery = await keys.discover(issuer);
  const kid = stringOrUndefined(jwt.header.kid);
  await verifySignature(
    jwt,
    alg,
    kid,
    (refresh) => keys.keys(discovery.jwksUri, refresh),
    rejected,
  );
  const { payload } = jwt;
  if (audiencesOf(payload).some((aud) => aud !== provider.applicationID))
    throw rejected();
  if (typeof payload.sub !== "string" || typeof payload.iat !== "number")
    throw rejected("malformed");
  const exp = payload.exp;
  if (typeof exp !== "number") throw rejected("malformed");
  const timeFailure = checkTimes(payload, nowS);
  if (timeFailure !== null) throw rejected(timeFailure.failure);
  return { identity: toUserIdentity(payload, "oidc"), expiresAtMs: exp * 1000 };
}

async function verifyCustomJwt(
  jwt: DecodedJwt,
  provider: CustomJwtProvider,
  keys: KeySource,
  nowS: number,
): Promise<VerifiedJwt> {
  const kid = stringOrUndefined(jwt.header.kid);
  const undecodable = () =>
    jwtError(
      "invalid",
      "InvalidAuthHeader",
      kid === undefined
        ? "Could not decode token. JWT may be missing a 'kid' (key ID) header."
        : `Could not decode token. The JWT's 'kid' (key ID) header is '${kid}', does this key match any key in the provider's JWKS?`,
    );
  if (kid === undefined || jwt.header.alg !== provider.algorithm)
    throw undecodable();
  await verifySignature(
    jwt,
    provider.algorithm,
    kid,
    (refresh) => keys.keys(provider.jwks, refresh),
    undecodable,
  );
  const { payload } = jwt;
  const timeFailure = checkTimes(payload, nowS);
  if (timeFailure !== null) {
    throw jwtError(
      timeFailure.failure,
      "InvalidAuthHeader",
      `Could not validate token: ${timeFailure.reason}`,
    );
  }
  if (typeof payload.sub !== "string") {
    throw malformedToken(
      "Missing subject claim ('sub') in JWT payload. The JWT must include a 'sub' claim.",
    );
  }
  if (typeof payload.exp !== "number") {
    throw malformedToken(
      "Missing expiration claim ('exp') in JWT payload. The JWT must include an 'exp' claim.",
    );
  }
  return {
    identity: toUserIdentity(payload, "customJwt"),
    expiresAtMs: payload.exp * 1000,
  };
}

/**
 * Checks the signature with the provider's keys; when no key carries the token's `kid`, asks the
 * key source once more with `refresh` (a rotated key set).
 */
async function verifySignature(
  jwt: DecodedJwt,
  alg: JwsAlgorithm,
  kid: string | undefined,
  loadKeys: (refreshFor: string | undefined) => Promise<PublicJwk[]>,
  rejected: () => Error,
): Promise<void> {
  let candidates = candidateKeys(await loadKeys(undefined), kid, alg);
  if (candidates.length === 0 && kid !== undefined)
    candidates = candidateKeys(await loadKeys(kid), kid, alg);
  if (
    !candidates.some((k) =>
      verifyJws(alg, k.key, jwt.signingInput, jwt.signature),
    )
  )
    throw rejected();
}

interface TimeFailure {
  readonly failure: "expired" | "invalid";
  readonly reason: string;
}

function checkTimes(payload: JsonObject, nowS: number): TimeFailure | null {
  const { exp, nbf, iat } = payload;
  if (typeof exp === "number" && nowS > exp + CLOCK_SKEW_LEEWAY_S) {
    return { failure: "expired", reason: "Token expired" };
  }
  if (typeof nbf === "number" && nbf > nowS + CLOCK_SKEW_LEEWAY_S) {
    return { failure: "invalid", reason: "Token not yet valid" };
  }
  if (typeof iat === "number" && iat > nowS + CLOCK_SKEW_LEEWAY_S) {
    return { failure: "invalid", reason: "Token issued in the future" };
  }
  return null;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
