/**
 * Splitting a compact JWS (`header.payload.signature`, RFC 7515 §7.1) into its parts, without
 * trusting any of them yet.
 */
import { malformedToken } from "./jwt-errors.js";

/** JSON object as decoded from a token segment. */
export type JsonObject = { readonly [key: string]: unknown };

export interface DecodedJwt {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  /** `header.payload` as sent: the bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a compact JWT. Throws `InvalidAuthHeader` ("Could not parse JWT payload…") unless it
 * has exactly three base64url segments whose first two are JSON objects.
 */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)))
    throw malformedToken();
  const [header, payload, signature] = parts as [string, string, string];
  return {
    header: decodeJsonSegment(header),
    payload: decodeJsonSegment(payload),
    signingInput: Buffer.from(`${header}.${payload}`, "ascii"),
    signature: Buffer.from(signature, "base64url"),
  };
}

function decodeJsonSegment(segment: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    throw malformedToken();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw malformedToken();
  return value as JsonObject;
}

/** The `aud` claim as a list: a string is one audience, anything else none. */
export function audiencesOf(payload: JsonObject): string[] {
  const aud = payload.aud;
  if (typeof aud === "string") return [aud];
  if (Array.isArray(aud))
    return aud.filter((a): a is string => typeof a === "string");
  return [];
}
