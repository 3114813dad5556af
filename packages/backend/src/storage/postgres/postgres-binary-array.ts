/**
 * One-dimensional PostgreSQL arrays in the binary wire format (`array_send`/`array_recv`), for the
 * `UNNEST` parameters of the append statements. `pg` sends a `Buffer` parameter in binary and
 * everything else as text; as text, every array goes through pg's array literal (hex for each
 * bytea, quoting and escaping for each string) and the server parses it back. In binary the
 * server copies each element as is: less work on both sides of the commit path.
 *
 * Layout: ndim, has-nulls flag, element type OID, then per dimension its length and lower bound
 * (1), all int32 big-endian; then each element as an int32 byte length (-1 for NULL) and its bytes.
 * The server refuses an array whose element OID is not the one the parameter's cast names.
 */

const BOOL_OID = 16;
const BYTEA_OID = 17;
const INT8_OID = 20;
const TEXT_OID = 25;

/** ndim, flags, element OID, length, lower bound. */
const HEADER_BYTES = 20;
const LENGTH_BYTES = 4;

function encode<T>(
  elementOid: number,
  values: readonly (T | null)[],
  size: (value: T) => number,
  write: (out: Buffer, offset: number, value: T) => void,
): Buffer {
  let bytes = HEADER_BYTES;
  let hasNulls = 0;
  const sizes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const n = value === null || value === undefined ? -1 : size(value);
    sizes[i] = n;
    if (n < 0) hasNulls = 1;
    bytes += LENGTH_BYTES + Math.max(n, 0);
  }
  const out = Buffer.allocUnsafe(bytes);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNulls, 4);
  out.writeInt32BE(elementOid, 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let offset = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const n = sizes[i]!;
    out.writeInt32BE(n, offset);
    offset += LENGTH_BYTES;
    if (n < 0) continue;
    write(out, offset, values[i] as T);
    offset += n;
  }
  return out;
}

/** `bytea[]` of byte strings. */
export function byteaArray(values: readonly Uint8Array[]): Buffer {
  return encode(
    BYTEA_OID,
    values,
    (v) => v.byteLength,
    (out, offset, v) => out.set(v, offset),
  );
}

/** `bytea[]` of strings' UTF-8 bytes (identifiers, see `toBytes`), without a buffer per string. */
export function utf8ByteaArray(values: readonly string[]): Buffer {
  return encode(BYTEA_OID, values, utf8Length, writeUtf8);
}

/** `text[]`; null elements are SQL NULL. */
export function textArray(values: readonly (string | null)[]): Buffer {
  return encode(TEXT_OID, values, utf8Length, writeUtf8);
}

/** `bigint[]`; null elements are SQL NULL. */
export function int8Array(values: readonly (bigint | null)[]): Buffer {
  return encode(
    INT8_OID,
    values,
    () => 8,
    (out, offset, v) => out.writeBigInt64BE(v, offset),
  );
}

/** `boolean[]`. */
export function boolArray(values: readonly boolean[]): Buffer {
  return encode(
    BOOL_OID,
    values,
    () => 1,
    (out, offset, v) => out.writeUInt8(v ? 1 : 0, offset),
  );
}

function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

function writeUtf8(out: Buffer, offset: number, value: string): void {
  out.write(value, offset, "utf8");
}
