/**
 * Byte-comparable index keys: a tuple of values (`undefined` = missing field) encoded so that
 * comparing the bytes (`compareKeys`) gives the tuple order under `compareValues`, element by
 * element, a shorter tuple first. This is what lets storage answer index range reads with a plain
 * `key BETWEEN lo AND hi` on a blob column.
 *
 * Layout (our own; Convex's `sorting.rs` has the same properties with other tags): every element
 * starts with a one-byte type tag in sort order and is self-delimiting, so a tuple's encoding is a
 * byte prefix of the encoding of any longer tuple that starts with it. The element code is also
 * prefix-free (no element's bytes are a proper prefix of another element's bytes), so the
 * converse holds too: a key starts with `encodeIndexKey(t)` exactly when its tuple starts with
 * `t`, which makes `[encodeIndexKey(t), prefixSuccessor(encodeIndexKey(t)))` the exact range of
 * keys extending `t`.
 *
 * | element | bytes |
 * | --- | --- |
 * | missing | `01` |
 * | null | `02` |
 * | int64 | `03` + 8 bytes big-endian two's complement with the sign bit flipped |
 * | float64 | `04` + 8 bytes big-endian IEEE 754, sign bit flipped for positives, all bits for negatives |
 * | false / true | `05` / `06` |
 * | string | `07` + UTF-8 (WTF-8 for lone surrogates), escaped, + `00 01` |
 * | bytes | `08` + bytes, escaped, + `00 01` |
 * | array | `09` + elements + `00` |
 * | object | `0A` + (key as a string element, value element) per field sorted by key + `00` |
 *
 * Escaping writes a content byte `00` as `00 FF`. After the shared content, the shorter string
 * has its terminator `00 01`, which sorts below both an escaped `00` (`00 FF`) and any other
 * content byte (≥ `01`) of the longer one, so a prefix sorts first; and `00 01` is never a prefix
 * of `00 FF`. Container terminators are `00`, below every element tag. The commit-ts placeholder
 * encodes as the largest int64, where `compareValues` puts it.
 */
import { assert } from "../shared/asserts.js";
import { presentKeys } from "./compare.js";
import { CommitTsPlaceholder } from "./value.js";
import type { Value } from "./value.js";

const TAG_MISSING = 0x01;
const TAG_NULL = 0x02;
const TAG_INT64 = 0x03;
const TAG_FLOAT64 = 0x04;
const TAG_FALSE = 0x05;
const TAG_TRUE = 0x06;
const TAG_STRING = 0x07;
const TAG_BYTES = 0x08;
const TAG_ARRAY = 0x09;
const TAG_OBJECT = 0x0a;
/** Ends an array or object. */
const TERMINATOR = 0x00;
/** `00 ESCAPE` is a content byte `00` in a string or bytes; `00 END` ends the string or bytes. */
const ESCAPE = 0xff;
const END = 0x01;

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
/** Starting size of the shared output buffer; it doubles as needed and is kept between calls. */
const INITIAL_CAPACITY = 1024;
/** A buffer grown past this for one large key is dropped afterwards rather than kept for good. */
const RETAINED_CAPACITY = 64 * 1024;

/**
 * One reusable output buffer. Encoding is synchronous and never re-entered, so a module-level
 * buffer is safe and saves an allocation per element; each key is copied out once at the end.
 */
let buffer = new Uint8Array(INITIAL_CAPACITY);
let view = new DataView(buffer.buffer);
let position = 0;

function ensure(extra: number): void {
  const needed = position + extra;
  if (needed <= buffer.length) return;
  let capacity = buffer.length * 2;
  while (capacity < needed) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(buffer.subarray(0, position));
  buffer = grown;
  view = new DataView(grown.buffer);
}

function writeByte(byte: number): void {
  ensure(1);
  buffer[position++] = byte;
}

/**
 * Encodes a tuple of values as a byte-comparable key. `undefined` elements are missing fields
 * (they sort first); inside arrays `undefined` is not allowed, and `undefined` object fields are
 * left out.
 *
 * @throws Error (an assertion) for values outside the Convex value domain: int64 out of range,
 *   `undefined` array elements, unsupported types.
 */
export function encodeIndexKey(
  values: readonly (Value | undefined)[],
): Uint8Array {
  position = 0;
  for (const value of values) {
    if (value === undefined) writeByte(TAG_MISSING);
    else writeValue(value);
  }
  const key = buffer.slice(0, position);
  if (buffer.length > RETAINED_CAPACITY) {
    buffer = new Uint8Array(INITIAL_CAPACITY);
    view = new DataView(buffer.buffer);
  }
  return key;
}

function writeValue(value: Value): void {
  switch (typeof value) {
    case "bigint":
      writeInt64(value);
      return;
    case "number":
      writeFloat64(value);
      return;
    case "boolean":
      writeByte(value ? TAG_TRUE : TAG_FALSE);
      return;
    case "string":
      writeString(value);
      return;
    default:
      writeComposite(value);
  }
}

function writeComposite(value: Value): void {
  if (value === null) {
    writeByte(TAG_NULL);
  } else if (value instanceof ArrayBuffer) {
    writeBytes(new Uint8Array(value));
  } else if (Array.isArray(value)) {
    writeByte(TAG_ARRAY);
    for (const element of value) {
      assert(
        element !== undefined,
        "an array element in an index key is undefined",
      );
      writeValue(element);
    }
    writeByte(TERMINATOR);
  } else if (value instanceof CommitTsPlaceholder) {
    writeInt64(MAX_INT64);
  } else {
    writeObject(value as Record<string, Value | undefined>);
  }
}

function writeObject(object: Record<string, Value | undefined>): void {
  writeByte(TAG_OBJECT);
  for (const key of presentKeys(object)) {
    writeString(key);
    writeValue(object[key]!);
  }
  writeByte(TERMINATOR);
}

function writeInt64(value: bigint): void {
  assert(
    value >= MIN_INT64 && value <= MAX_INT64,
    `int64 out of range: ${value}`,
  );
  ensure(9);
  buffer[position] = TAG_INT64;
  view.setBigInt64(position + 1, value);
  buffer[position + 1]! ^= 0x80;
  position += 9;
}

function writeFloat64(value: number): void {
  ensure(9);
  buffer[position] = TAG_FLOAT64;
  const start = position + 1;
  view.setFloat64(start, value);
  if (buffer[start]! & 0x80) {
    for (let i = start; i < start + 8; i++) buffer[i] = ~buffer[i]! & 0xff;
  } else {
    buffer[start]! ^= 0x80;
  }
  position += 9;
}

/** Writes a string element: tag, escaped UTF-8 (lone surrogates as WTF-8), terminator. */
function writeString(text: string): void {
  // Worst case: 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units; `00` escapes to
  // 2 bytes), plus tag and terminator.
  ensure(text.length * 3 + 3);
  const out = buffer;
  let p = position;
  out[p++] = TAG_STRING;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      out[p++] = unit;
      if (unit === 0) out[p++] = ESCAPE;
    } else if (unit < 0x800) {
      out[p++] = 0xc0 | (unit >> 6);
      out[p++] = 0x80 | (unit & 0x3f);
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
        out[p++] = 0xf0 | (point >> 18);
        out[p++] = 0x80 | ((point >> 12) & 0x3f);
        out[p++] = 0x80 | ((point >> 6) & 0x3f);
        out[p++] = 0x80 | (point & 0x3f);
        i++;
      } else {
        p = writeThreeBytes(out, p, unit);
      }
    } else {
      p = writeThreeBytes(out, p, unit);
    }
  }
  out[p++] = 0x00;
  out[p++] = END;
  position = p;
}

function writeThreeBytes(out: Uint8Array, p: number, unit: number): number {
  out[p] = 0xe0 | (unit >> 12);
  out[p + 1] = 0x80 | ((unit >> 6) & 0x3f);
  out[p + 2] = 0x80 | (unit & 0x3f);
  return p + 3;
}

/** Writes a bytes element: tag, escaped bytes, terminator. */
function writeBytes(bytes: Uint8Array): void {
  ensure(bytes.length * 2 + 3);
  const out = buffer;
  let p = position;
  out[p++] = TAG_BYTES;
  let from = 0;
  // Copy runs between zero bytes natively; escape each zero.
  for (
    let zero = bytes.indexOf(0);
    zero !== -1;
    zero = bytes.indexOf(0, from)
  ) {
    out.set(bytes.subarray(from, zero), p);
    p += zero - from;
    out[p++] = 0x00;
    out[p++] = ESCAPE;
    from = zero + 1;
  }
  out.set(bytes.subarray(from), p);
  p += bytes.length - from;
  out[p++] = 0x00;
  out[p++] = END;
  position = p;
}

/** Compares two keys bytewise (a prefix first). Returns -1, 0 or 1. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * The smallest byte string greater than every string that starts with `key` (the exclusive end
 * of a prefix scan): `key` with trailing `FF` bytes removed and its last byte incremented. Returns
 * null when no such string exists (the key is empty or all `FF`).
 */
export function prefixSuccessor(key: Uint8Array): Uint8Array | null {
  let end = key.length;
  while (end > 0 && key[end - 1] === 0xff) end--;
  if (end === 0) return null;
  const successor = key.slice(0, end);
  successor[end - 1]! += 1;
  return successor;
}
