/**
 * Standard base64 as convex-JSON uses it (`$bytes`, `$integer`, `$float`).
 *
 * Encoding is plain RFC 4648 base64 with padding. Decoding reproduces the official package's
 * decoder (`convex/src/values/base64.ts`) exactly, because `jsonToConvex` must accept and reject
 * the same inputs and produce the same bytes:
 * - the length must be a multiple of 4, else it throws
 *   `Invalid string. Length must be a multiple of 4`;
 * - everything from the first `=` on is padding, and the output length is computed from where it
 *   starts (a malformed padding yields a shorter or zero-filled output rather than an error);
 * - `-` and `_` decode like `+` and `/` (the URL-safe alphabet), any other unknown character
 *   decodes as zero bits.
 */

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Sextet value per char code below 128; unknown characters are 0, as in the package. */
const SEXTETS = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;
SEXTETS["-".charCodeAt(0)] = 62;
SEXTETS["_".charCodeAt(0)] = 63;

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? SEXTETS[code]! : 0;
}

/** Up to this many bytes, encoding in JS beats creating a Buffer (int64 and float64 are 8). */
const SMALL_INPUT_BYTES = 48;

/** Encodes bytes as standard base64 with `=` padding. */
export function encodeBase64(bytes: Uint8Array): string {
  if (bytes.length > SMALL_INPUT_BYTES) {
    return Buffer.from(
      bytes.buffer,
      bytes.byteOffset,
      bytes.byteLength,
    ).toString("base64");
  }
  let text = "";
  const whole = bytes.length - (bytes.length % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    text +=
      ALPHABET[n >> 18]! +
      ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  if (bytes.length - whole === 1) {
    const n = bytes[i]!;
    text += `${ALPHABET[n >> 2]!}${ALPHABET[(n << 4) & 63]!}==`;
  } else if (bytes.length - whole === 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    text += `${ALPHABET[n >> 10]!}${ALPHABET[(n >> 4) & 63]!}${ALPHABET[(n << 2) & 63]!}=`;
  }
  return text;
}

/**
 * Decodes base64 with the official package's exact semantics (see the module comment).
 *
 * @throws Error `Invalid string. Length must be a multiple of 4` when the length is not a multiple
 *   of 4.
 */
export function decodeBase64(text: string): Uint8Array {
  const length = text.length;
  if (length % 4 > 0)
    throw new Error("Invalid string. Length must be a multiple of 4");
  const padAt = text.indexOf("=");
  const validLength = padAt === -1 ? length : padAt;
  const padding = validLength === length ? 0 : 4 - (validLength % 4);
  const out = new Uint8Array(((validLength + padding) * 3) / 4 - padding);
  const fullEnd = padding > 0 ? validLength - 4 : validLength;
  let o = 0;
  let i = 0;
  for (; i < fullEnd; i += 4) {
    const n =
      (sextet(text, i) << 18) |
      (sextet(text, i + 1) << 12) |
      (sextet(text, i + 2) << 6) |
      sextet(text, i + 3);
    // Writes past the end of `out` are dropped, as typed arrays do for the package's decoder.
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (padding === 2) {
    out[o] = (sextet(text, i) << 2) | (sextet(text, i + 1) >> 4);
  } else if (padding === 1) {
    const n =
      (sextet(text, i) << 10) |
      (sextet(text, i + 1) << 4) |
      (sextet(text, i + 2) >> 2);
    out[o++] = n >> 8;
    out[o] = n & 0xff;
  }
  return out;
}
