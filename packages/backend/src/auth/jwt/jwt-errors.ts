/**
 * The errors a token verification can end with. All are `BackendError`s with code
 * `Unauthenticated` and Convex's `shortMsg`/message wording (observed from Convex deployments:
 * `InvalidAuthHeader`, `NoAuthProvider`, and `Unauthenticated` with "Could not verify OIDC token
 * claim…"), so HTTP bodies and `AuthError` messages read as they do against Convex.
 *
 * Callers that must act on *why* a token failed (the sync protocol treats an expired token
 * differently) read {@link jwtFailureOf} instead of parsing messages.
 */
import { BackendError } from "../../errors/backend-error.js";

/**
 * Why verification failed:
 * - `malformed`: not a JWT, or required claims missing or mistyped;
 * - `noProvider`: no `auth.config` provider takes this issuer and audience;
 * - `invalid`: bad signature, unknown key, wrong algorithm, not yet valid;
 * - `expired`: past `exp` (beyond the leeway);
 * - `providerUnavailable`: discovery or the JWKS could not be fetched or parsed.
 */
export type JwtFailure =
  "malformed" | "noProvider" | "invalid" | "expired" | "providerUnavailable";

/** The `cause` attached to JWT errors; a plain object so it survives structured cloning. */
interface JwtFailureCause {
  readonly jwtFailure: JwtFailure;
}

export function jwtError(
  failure: JwtFailure,
  shortMsg: string,
  message: string,
): BackendError {
  const cause: JwtFailureCause = { jwtFailure: failure };
  return new BackendError("Unauthenticated", shortMsg, message, { cause });
}

/** The failure kind of an error thrown by the verifier, or null for any other error. */
export function jwtFailureOf(error: unknown): JwtFailure | null {
  if (!(error instanceof BackendError)) return null;
  const cause = error.cause as Partial<JwtFailureCause> | undefined;
  return typeof cause?.jwtFailure === "string" ? cause.jwtFailure : null;
}

export const PARSE_FAILED_MESSAGE =
  "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.";

export const MISSING_ISSUER_MESSAGE =
  "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.";

export const OIDC_VERIFY_FAILED_MESSAGE =
  "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired.";

export function malformedToken(
  message: string = PARSE_FAILED_MESSAGE,
): BackendError {
  return jwtError("malformed", "InvalidAuthHeader", message);
}
