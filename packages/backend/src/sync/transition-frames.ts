/**
 * The Transition frame, written as text directly: query results arrive pre-encoded from the hub
 * (one encoding per execution, shared by every subscribed socket), so a Transition is assembled
 * by concatenation rather than re-serialised per socket. Large ones are cut into
 * `TransitionChunk`s, which the client reassembles in order.
 */
import {
  encodeServerMessage,
  encodeTs,
  type StateVersion,
} from "./protocol.js";

/**
 * Transitions longer than this many characters go as TransitionChunks of this size, keeping
 * frames a few megabytes at most whatever the result size.
 */
export const TRANSITION_CHUNK_CHARS = 1 << 20;

export interface TransitionParts {
  readonly startVersion: StateVersion;
  readonly endVersion: StateVersion;
  /** Encoded `StateModification` objects. */
  readonly modifications: readonly string[];
  readonly clientClockSkewMs: number | undefined;
  /** Server wall clock at send time, in milliseconds (sent as nanoseconds). */
  readonly serverNowMs: number;
}

/**
 * The frames carrying one Transition: the Transition itself, or its TransitionChunks (tagged
 * `transitionId`) when longer than `TRANSITION_CHUNK_CHARS`.
 */
export function encodeTransitionFrames(
  parts: TransitionParts,
  transitionId: string,
): string[] {
  const text =
    `{"type":"Transition","startVersion":${encodeVersion(parts.startVersion)},` +
    `"endVersion":${encodeVersion(parts.endVersion)},` +
    `"modifications":[${parts.modifications.join(",")}]` +
    (parts.clientClockSkewMs === undefined
      ? ""
      : `,"clientClockSkew":${parts.clientClockSkewMs}`) +
    `,"serverTs":${parts.serverNowMs * 1_000_000}}`;
  if (text.length <= TRANSITION_CHUNK_CHARS) return [text];
  const chunks = splitText(text, TRANSITION_CHUNK_CHARS);
  return chunks.map((chunk, partNumber) =>
    encodeServerMessage({
      type: "TransitionChunk",
      chunk,
      partNumber,
      totalParts: chunks.length,
      transitionId,
    }),
  );
}

function encodeVersion(version: StateVersion): string {
  return `{"querySet":${version.querySet},"identity":${version.identity},"ts":"${encodeTs(version.ts)}"}`;
}

/**
 * Splits `text` into pieces of at most `size` characters. Cutting a surrogate pair is harmless:
 * each piece travels inside a JSON string, and `JSON.stringify` escapes lone surrogates.
 */
function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += size) {
    parts.push(text.slice(start, start + size));
  }
  return parts;
}
