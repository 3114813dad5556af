import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Admin keys: `<instance-name>|<token>`, where the token is hex of
 * `version(1) ‖ issuedSeconds(8, big-endian) ‖ nonce(16) ‖ HMAC-SHA256(key, name ‖ 0 ‖ those bytes)`
 * and `key = HMAC-SHA256(instanceSecret, "hull admin key")`. The official CLI and clients treat
 * keys as opaque (wire protocol §4), so any unguessable key that the instance can verify works.
 * Keys do not expire; rotating the instance secret invalidates all of them.
 */

/** The instance secret is 32 random bytes, written as 64 lowercase hex characters. */
export const INSTANCE_SECRET_BYTES = 32;

const TOKEN_VERSION = 1;
// 16 random bytes make two keys issued in the same second distinct and unguessable.
const NONCE_BYTES = 16;
const ISSUED_BYTES = 8;
const MAC_BYTES = 32;
const PAYLOAD_BYTES = 1 + ISSUED_BYTES + NONCE_BYTES;
const TOKEN_BYTES = PAYLOAD_BYTES + MAC_BYTES;
const KEY_DERIVATION_LABEL = "hull admin key";

/** What a key is checked against: the instance's name and its secret. */
export interface InstanceCredentials {
  readonly instanceName: string;
  /** 64 hex characters (`isInstanceSecret`). */
  readonly instanceSecret: string;
}

/** True when `text` is a well-formed instance secret: exactly 64 hex characters. */
export function isInstanceSecret(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text);
}

/** A fresh instance secret from `randomBytes` (inject `crypto.randomBytes`). */
export function generateInstanceSecret(
  randomBytes: (n: number) => Uint8Array,
): string {
  return Buffer.from(randomBytes(INSTANCE_SECRET_BYTES)).toString("hex");
}

/**
 * Issues a new admin key for the instance. Requires a valid secret (`isInstanceSecret`);
 * throws otherwise, since that is a configuration bug.
 */
export function issueAdminKey(
  credentials: InstanceCredentials,
  options: { nowMs: number; randomBytes: (n: number) => Uint8Array },
): string {
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload.writeUInt8(TOKEN_VERSION, 0);
  payload.writeBigUInt64BE(BigInt(Math.floor(options.nowMs / 1000)), 1);
  Buffer.from(options.randomBytes(NONCE_BYTES)).copy(payload, 1 + ISSUED_BYTES);
  const mac = computeMac(credentials, payload);
  return `${credentials.instanceName}|${Buffer.concat([payload, mac]).toString("hex")}`;
}

/**
 * True when `adminKey` was issued for this instance name and secret. Never throws: anything
 * malformed is simply not a valid key. Accepts and ignores a `type:` prefix before the name
 * (`prod:`, `dev:`), as Convex does. The MAC is compared in constant time.
 */
export function checkAdminKey(
  adminKey: string,
  credentials: InstanceCredentials,
): boolean {
  const bar = adminKey.indexOf("|");
  if (bar < 0) return false;
  const name = stripKeyTypePrefix(adminKey.slice(0, bar));
  const tokenHex = adminKey.slice(bar + 1);
  if (name !== credentials.instanceName) return false;
  if (!/^[0-9a-f]+$/.test(tokenHex) || tokenHex.length !== TOKEN_BYTES * 2)
    return false;
  if (!isInstanceSecret(credentials.instanceSecret)) return false;
  const token = Buffer.from(tokenHex, "hex");
  if (token.readUInt8(0) !== TOKEN_VERSION) return false;
  if (token.readBigUInt64BE(1) === 0n) return false;
  const expected = computeMac(credentials, token.subarray(0, PAYLOAD_BYTES));
  return timingSafeEqual(expected, token.subarray(PAYLOAD_BYTES));
}

/** Removes a `prod:`/`dev:`-style type prefix from the name part of a key. */
export function stripKeyTypePrefix(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

function computeMac(
  credentials: InstanceCredentials,
  payload: Uint8Array,
): Buffer {
  const key = createHmac(
    "sha256",
    Buffer.from(credentials.instanceSecret, "hex"),
  )
    .update(KEY_DERIVATION_LABEL)
    .digest();
  return createHmac("sha256", key)
    .update(credentials.instanceName)
    .update(Buffer.of(0))
    .update(payload)
    .digest();
}
