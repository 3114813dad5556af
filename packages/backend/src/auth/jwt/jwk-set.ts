/**
 * JSON Web Key Sets (RFC 7517) as public `KeyObject`s, and JWS signature checks for the
 * algorithms Hull accepts, with `node:crypto` only.
 */
import {
  createPublicKey,
  verify,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";

/** Signature algorithms Hull verifies. `customJwt` providers allow RS256 or ES256 (convex-js). */
export type JwsAlgorithm = "RS256" | "ES256" | "EdDSA";

export interface PublicJwk {
  readonly kid: string | undefined;
  /** The JWK's own `alg`, when it names one. */
  readonly alg: string | undefined;
  readonly key: KeyObject;
}

/**
 * The usable signing keys of a JWKS document. Keys that cannot be verification keys here are
 * dropped rather than failing the set: symmetric (`oct`) keys, keys whose `use` is not `sig`,
 * and keys `node:crypto` cannot import. Returns null when `json` is not a JWKS (`{ keys: [...] }`).
 */
export function parseJwkSet(json: unknown): PublicJwk[] | null {
  if (typeof json !== "object" || json === null) return null;
  const keys = (json as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return null;
  return keys.flatMap((jwk): PublicJwk[] => {
    const key = importPublicKey(jwk);
    if (key === null) return [];
    const { kid, alg } = jwk as { kid?: unknown; alg?: unknown };
    return [
      {
        kid: typeof kid === "string" ? kid : undefined,
        alg: typeof alg === "string" ? alg : undefined,
        key,
      },
    ];
  });
}

function importPublicKey(jwk: unknown): KeyObject | null {
  if (typeof jwk !== "object" || jwk === null) return null;
  const { kty, use } = jwk as { kty?: unknown; use?: unknown };
  if (kty === "oct" || (use !== undefined && use !== "sig")) return null;
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
  } catch {
    return null;
  }
}

/** Whether `key` is the kind of key `alg` signs with (RSA; EC P-256; Ed25519). */
function keyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  switch (alg) {
    case "RS256":
      return key.asymmetricKeyType === "rsa";
    case "ES256":
      return (
        key.asymmetricKeyType === "ec" &&
        key.asymmetricKeyDetails?.namedCurve === "prime256v1"
      );
    case "EdDSA":
      return key.asymmetricKeyType === "ed25519";
    default:
      return alg satisfies never;
  }
}

/**
 * The keys that may have signed a token with this header: matching `kid` when the header names
 * one (otherwise every key), of the right type for `alg`, and not declaring a different `alg`.
 */
export function candidateKeys(
  keys: readonly PublicJwk[],
  kid: string | undefined,
  alg: JwsAlgorithm,
): PublicJwk[] {
  return keys.filter(
    (k) =>
      (kid === undefined || k.kid === kid) &&
      (k.alg === undefined || k.alg === alg) &&
      keyFitsAlgorithm(k.key, alg),
  );
}

/** Verifies a JWS signature. ES256 signatures are raw `r‖s` (RFC 7518 §3.4), not DER. */
export function verifyJws(
  alg: JwsAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  try {
    switch (alg) {
      case "RS256":
        return verify("sha256", signingInput, key, signature);
      case "ES256":
        return (
          signature.length === 64 &&
          verify(
            "sha256",
            signingInput,
            { key, dsaEncoding: "ieee-p1363" },
            signature,
          )
        );
      case "EdDSA":
        return verify(null, signingInput, key, signature);
      default:
        return alg satisfies never;
    }
  } catch {
    return false;
  }
}
