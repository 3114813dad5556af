/**
 * The seeded generator behind `Math.random`, `crypto.getRandomValues` and `crypto.randomUUID` in
 * queries and mutations: the same seed gives the same sequence, so a re-run mutation makes the
 * same choices. The algorithm is SFC32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * public domain): fast, 128 bits of state, good statistical quality; Convex uses ChaCha12, and
 * the exact sequence is not part of the contract.
 */

/** A generator of uint32 values. */
export type Uint32Source = () => number;

/**
 * SFC32 seeded with four 32-bit words. (The state lives in a class and the source is an anonymous
 * arrow: tsx keeps the names of named closures, at a `defineProperty` each, once per invocation.)
 */
export function createSeededSource(
  seed: readonly [number, number, number, number],
): Uint32Source {
  const state = new Sfc32(seed);
  // Discard the first outputs: SFC32's early outputs are correlated with the seed.
  for (let i = 0; i < 12; i++) state.next();
  return () => state.next();
}

class Sfc32 {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor([a, b, c, d]: readonly [number, number, number, number]) {
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
  }

  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    const c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (c + t) | 0;
    return t >>> 0;
  }
}

/** A float in [0, 1) with 32 bits of randomness. */
export function toUnitFloat(source: Uint32Source): () => number {
  return () => source() / 4294967296;
}

/** Fills `bytes` from `source`. */
export function fillBytes(source: Uint32Source, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    let word = source();
    for (let j = i; j < Math.min(i + 4, bytes.length); j++) {
      bytes[j] = word & 0xff;
      word >>>= 8;
    }
  }
}

/** An RFC 4122 version 4 UUID from `source`. */
export function randomUuid(source: Uint32Source): string {
  const bytes = new Uint8Array(16);
  fillBytes(source, bytes);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
