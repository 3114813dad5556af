/**
 * Index keys as PostgreSQL stores them: split at {@link KEY_PREFIX_BYTES} into an indexed prefix
 * and an unindexed suffix (see `postgres-schema.ts`; writes let the server split and hash keys, see
 * `postgres-write.ts`); identifiers as their UTF-8 bytes.
 */
import { KEY_PREFIX_BYTES } from "./postgres-schema.js";

/** A key cut into its two stored columns; `suffix` is empty for keys up to the prefix size. */
export interface SplitKey {
  readonly prefix: Buffer;
  readonly suffix: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits `key` without copying. Because every key is cut at the same offset, comparing
 * `(prefix, suffix)` pairs lexicographically (bytea compares bytewise) orders keys exactly as
 * comparing whole keys bytewise does.
 */
export function splitKey(key: Uint8Array): SplitKey {
  const whole = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (whole.length <= KEY_PREFIX_BYTES) return { prefix: whole, suffix: EMPTY };
  return {
    prefix: whole.subarray(0, KEY_PREFIX_BYTES),
    suffix: whole.subarray(KEY_PREFIX_BYTES),
  };
}

/** Reassembles a key read back as `(key_prefix, key_suffix)` into a fresh `Uint8Array`. */
export function joinKey(prefix: Buffer, suffix: Buffer): Uint8Array {
  const key = new Uint8Array(prefix.length + suffix.length);
  key.set(prefix, 0);
  key.set(suffix, prefix.length);
  return key;
}

/** An identifier (table, document or index id, global key) as stored: its UTF-8 bytes. */
export function toBytes(identifier: string): Buffer {
  return Buffer.from(identifier, "utf8");
}

/** An identifier read back from a `BYTEA` column. */
export function fromBytes(stored: Buffer): string {
  return stored.toString("utf8");
}
