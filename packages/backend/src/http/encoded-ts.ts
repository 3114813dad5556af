import { BackendError } from "../errors/backend-error.js";

/*
 * Timestamps on the wire: a u64 as 8 bytes little-endian in standard base64 with padding
 * (`u64ToLong`/`longToU64` in convex-js `browser/sync/protocol.ts`): 0 → "AAAAAAAAAAA=".
 */

/** Encodes a u64 timestamp. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** Decodes an encoded timestamp; throws `BackendError(BadRequest, "InvalidTimestamp")`. */
export function decodeTs(text: unknown): bigint {
  if (typeof text === "string" && /^[A-Za-z0-9+/]{11}=$/.test(text)) {
    return Buffer.from(text, "base64").readBigUInt64LE();
  }
  throw new BackendError(
    "BadRequest",
    "InvalidTimestamp",
    "Expected `ts` to be a timestamp as returned by /api/query_ts (8 bytes, base64).",
  );
}
