/**
 * Document IDs in Convex's format (convex-backend `crates/value/src/id_v6.rs`, `base32.rs`), so
 * that IDs from Hull look like Convex IDs and every ID names its table:
 *
 * ```text
 * binary = VInt(tableNumber) ‖ internalId[16] ‖ footer[2]
 * footer = u16 little-endian (fletcher16(VInt ‖ internalId) XOR version 0)
 * text   = base32 of binary, 5-bit groups most significant first, no padding,
 *          alphabet "0123456789abcdefghjkmnpqrstvwxyz"
 * ```
 *
 * VInt stores 7 bits per byte, least significant group first, `0x80` marking continuation. A
 * 1-byte table number gives 31 characters, 2 bytes 32, and 5 bytes 37, the maximum.
 * Convex's decoder accepts only this (v6) form; earlier ID formats are no longer accepted there,
 * so there is no legacy form to accept here either.
 */
import { assert } from "../shared/asserts.js";

/** User tables are numbered from here; lower numbers are reserved for system tables. */
export const FIRST_USER_TABLE_NUMBER = 10001;
/** System tables (`_scheduled_functions`, `_storage`, …) are numbered from here. */
export const FIRST_SYSTEM_TABLE_NUMBER = 513;

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const INTERNAL_ID_BYTES = 16;
const FOOTER_BYTES = 2;
const VERSION = 0;
/** Base32 lengths of a 19-byte (1-byte table number) and a 23-byte (5-byte) ID. */
const MIN_ID_LENGTH = 31;
const MAX_ID_LENGTH = 37;
const MAX_TABLE_NUMBER = 0xffffffff;
const MS_PER_DAY = 86_400_000;
/** Random bytes in an internal ID; the last two bytes are the creation day. */
const RANDOM_BYTES = 14;

/** Character code → base32 digit, or -1. */
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i;

/** The decoded parts of an ID. */
export interface DecodedId {
  readonly tableNumber: number;
  readonly internalId: Uint8Array;
}

function fletcher16(bytes: Uint8Array, length: number): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < length; i++) {
    c0 = (c0 + bytes[i]!) & 0xff;
    c1 = (c1 + c0) & 0xff;
  }
  return (c1 << 8) | c0;
}

function encodeBase32(bytes: Uint8Array): string {
  let text = "";
  let bits = 0;
  let accumulator = 0;
  for (const byte of bytes) {
    accumulator = ((accumulator << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += ALPHABET[(accumulator >> bits) & 31];
    }
  }
  if (bits > 0) text += ALPHABET[(accumulator << (5 - bits)) & 31];
  return text;
}

/**
 * Decodes base32 text into bytes; null on a character outside the alphabet or non-zero leftover
 * bits (which no encoder produces, so the text would not be canonical).
 */
function decodeBase32(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let accumulator = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? DIGITS[code]! : -1;
    if (digit < 0) return null;
    accumulator = ((accumulator << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (accumulator >> bits) & 0xff;
    }
  }
  if ((accumulator & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/**
 * Encodes a table number (1 to 2^32 - 1) and a 16-byte internal ID as an ID string.
 *
 * @throws Error (an assertion) when the table number or internal ID is out of shape.
 */
export function encodeId(tableNumber: number, internalId: Uint8Array): string {
  assert(
    Number.isInteger(tableNumber) &&
      tableNumber >= 1 &&
      tableNumber <= MAX_TABLE_NUMBER,
    `invalid table number ${tableNumber}`,
  );
  assert(
    internalId.length === INTERNAL_ID_BYTES,
    "an internal ID has 16 bytes",
  );
  const binary = new Uint8Array(5 + INTERNAL_ID_BYTES + FOOTER_BYTES);
  let p = 0;
  let n = tableNumber;
  while (n >= 0x80) {
    binary[p++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  binary[p++] = n;
  binary.set(internalId, p);
  p += INTERNAL_ID_BYTES;
  const footer = fletcher16(binary, p) ^ VERSION;
  binary[p++] = footer & 0xff;
  binary[p++] = footer >> 8;
  return encodeBase32(binary.subarray(0, p));
}

/**
 * Decodes an ID string strictly, as Convex does: length 31–37, base32 alphabet, a non-zero
 * VInt table number of at most 5 bytes, exactly 16 internal bytes and a matching footer with
 * nothing after it, and the text must be the canonical encoding of what it decodes to.
 * Returns null for anything else.
 */
export function decodeId(id: string): DecodedId | null {
  if (id.length < MIN_ID_LENGTH || id.length > MAX_ID_LENGTH) return null;
  const binary = decodeBase32(id);
  if (binary === null) return null;
  let tableNumber = 0;
  let p = 0;
  for (let shift = 1; ; shift *= 0x80) {
    if (p >= 5 || p >= binary.length) return null;
    const byte = binary[p++]!;
    tableNumber += (byte & 0x7f) * shift;
    if (byte < 0x80) break;
  }
  if (tableNumber === 0 || tableNumber > MAX_TABLE_NUMBER) return null;
  if (binary.length !== p + INTERNAL_ID_BYTES + FOOTER_BYTES) return null;
  const footer =
    binary[p + INTERNAL_ID_BYTES]! | (binary[p + INTERNAL_ID_BYTES + 1]! << 8);
  if ((fletcher16(binary, p + INTERNAL_ID_BYTES) ^ VERSION) !== footer)
    return null;
  const internalId = binary.slice(p, p + INTERNAL_ID_BYTES);
  // A VInt with redundant continuation groups decodes to the same number with a different text.
  if (encodeId(tableNumber, internalId) !== id) return null;
  return { tableNumber, internalId };
}

/**
 * A fresh internal ID as Convex makes them: 14 random bytes followed by the creation day (days
 * since the Unix epoch) as a big-endian u16.
 *
 * @param nowMs - the current time in milliseconds since the epoch.
 * @param randomBytes - a source of `n` random bytes (injected for determinism in tests).
 */
export function newInternalId(
  nowMs: number,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const random = randomBytes(RANDOM_BYTES);
  assert(
    random.length === RANDOM_BYTES,
    "randomBytes returned the wrong number of bytes",
  );
  const id = new Uint8Array(INTERNAL_ID_BYTES);
  id.set(random);
  const day = Math.floor(nowMs / MS_PER_DAY) & 0xffff;
  id[RANDOM_BYTES] = day >> 8;
  id[RANDOM_BYTES + 1] = day & 0xff;
  return id;
}
