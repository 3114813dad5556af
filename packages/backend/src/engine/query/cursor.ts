/**
 * Pagination cursors: a position in a query's results (after an index key, or the end) bound to
 * the query by a fingerprint, sealed into an opaque string.
 *
 * Like convex-backend (`Cursor { position, query_fingerprint }`, encrypted with a key derived
 * from the instance secret for the purpose "cursor"), cursors are encrypted deterministically, so
 * clients cannot read the index values inside them, equal cursors are equal strings (query
 * results stay cacheable), and the key survives restarts because it comes from a persistent
 * secret. The construction is SIV-style: the IV is an HMAC of the plaintext, which also
 * authenticates it; AES-256-CTR encrypts.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  timingSafeEqual,
} from "node:crypto";
import { badRequest } from "../../errors/backend-error.js";
import { serializeQueryPlan, type QueryPlan } from "./query-plan.js";

/** Where a query stopped: after the row with index key `key`, or past the last row. */
export type CursorPosition =
  | { readonly type: "after"; readonly key: Uint8Array }
  | { readonly type: "end" };

/** A position plus the fingerprint of the query it belongs to. */
export interface Cursor {
  readonly position: CursorPosition;
  readonly fingerprint: Uint8Array;
}

/** Seals cursors into strings and opens them again. */
export interface CursorCodec {
  /** The opaque string for `cursor`; the same cursor always gives the same string. */
  encode(cursor: Cursor): string;
  /**
   * Opens a string made by `encode` with the same secret.
   *
   * @throws BackendError BadRequest `InvalidCursor` when the string is malformed, altered, or
   *   sealed with another secret.
   */
  decode(text: string): Cursor;
}

/** Bytes of the query fingerprint kept in a cursor (a truncated SHA-256). */
export const FINGERPRINT_BYTES = 16;
const FORMAT_VERSION = 1;
const IV_BYTES = 16;
const TAG_END = 0;
const TAG_AFTER = 1;

/**
 * A stable fingerprint of `plan` over an index with `indexFields`: any change to the query, or to
 * the fields of the index it reads, changes it (convex-backend `Query::fingerprint`).
 */
export function computeQueryFingerprint(
  plan: QueryPlan,
  indexFields: readonly string[],
): Uint8Array {
  const text = JSON.stringify({ query: serializeQueryPlan(plan), indexFields });
  const digest = createHash("sha256").update(text).digest();
  return new Uint8Array(digest.subarray(0, FINGERPRINT_BYTES));
}

/** True when two fingerprints are equal. */
export function sameFingerprint(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * A codec whose keys are derived from `secret` (at least 16 bytes; pass the instance secret or a
 * key persisted with the deployment, so cursors stay valid across restarts).
 */
export function createCursorCodec(secret: Uint8Array): CursorCodec {
  if (secret.length < 16)
    throw new Error("Cursor secret must be at least 16 bytes");
  let codec = codecsBySecret.get(secret);
  if (codec === undefined) {
    codec = deriveCursorCodec(secret);
    codecsBySecret.set(secret, codec);
  }
  return codec;
}

/**
 * A codec is a pure function of its secret, and deriving its keys costs a quarter of a
 * millisecond: callers that pass the same secret array (the `convexTest` harness opens a
 * database per test) share one.
 */
const codecsBySecret = new WeakMap<Uint8Array, CursorCodec>();

function deriveCursorCodec(secret: Uint8Array): CursorCodec {
  const keys = Buffer.from(
    hkdfSync("sha256", secret, new Uint8Array(0), "hull cursor", 64),
  );
  const encryptionKey = keys.subarray(0, 32);
  const macKey = keys.subarray(32, 64);
  const syntheticIv = (plaintext: Uint8Array) =>
    createHmac("sha256", macKey)
      .update(plaintext)
      .digest()
      .subarray(0, IV_BYTES);

  return {
    encode(cursor) {
      const plaintext = serializeCursor(cursor);
      const iv = syntheticIv(plaintext);
      const cipher = createCipheriv("aes-256-ctr", encryptionKey, iv);
      const sealed = Buffer.concat([
        Buffer.from([FORMAT_VERSION]),
        iv,
        cipher.update(plaintext),
        cipher.final(),
      ]);
      return sealed.toString("base64url");
    },
    decode(text) {
      const sealed = Buffer.from(text, "base64url");
      if (sealed.length < 1 + IV_BYTES || sealed[0] !== FORMAT_VERSION)
        throw malformedCursor();
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const decipher = createDecipheriv("aes-256-ctr", encryptionKey, iv);
      const plaintext = Buffer.concat([
        decipher.update(sealed.subarray(1 + IV_BYTES)),
        decipher.final(),
      ]);
      if (!timingSafeEqual(syntheticIv(plaintext), iv)) throw malformedCursor();
      return deserializeCursor(plaintext);
    },
  };
}

function serializeCursor(cursor: Cursor): Uint8Array {
  if (cursor.fingerprint.length !== FINGERPRINT_BYTES) {
    throw new Error(`Cursor fingerprint must be ${FINGERPRINT_BYTES} bytes`);
  }
  const position = cursor.position;
  const key = position.type === "after" ? position.key : new Uint8Array(0);
  return Buffer.concat([
    cursor.fingerprint,
    Buffer.from([position.type === "after" ? TAG_AFTER : TAG_END]),
    key,
  ]);
}

function deserializeCursor(plaintext: Uint8Array): Cursor {
  if (plaintext.length < FINGERPRINT_BYTES + 1) throw malformedCursor();
  // Plain copies: the decrypted bytes are a Buffer, and cursors hold Uint8Arrays.
  const fingerprint = new Uint8Array(plaintext.subarray(0, FINGERPRINT_BYTES));
  const tag = plaintext[FINGERPRINT_BYTES];
  const key = new Uint8Array(plaintext.subarray(FINGERPRINT_BYTES + 1));
  if (tag === TAG_END && key.length === 0)
    return { position: { type: "end" }, fingerprint };
  if (tag === TAG_AFTER)
    return { position: { type: "after", key }, fingerprint };
  throw malformedCursor();
}

function malformedCursor() {
  return badRequest(
    "InvalidCursor",
    "InvalidCursor: Tried to run a query starting from a cursor, but the cursor is malformed or " +
      "was not issued by this deployment.",
  );
}

/** Convex's error for a cursor used with a query other than the one that produced it. */
export function cursorFromDifferentQuery() {
  return badRequest(
    "InvalidCursor",
    "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor " +
      "is from a different query.",
  );
}
