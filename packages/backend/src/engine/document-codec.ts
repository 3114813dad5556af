/**
 * How documents are stored (convex-JSON text) and how their index keys are computed, plus a
 * bounded cache of parsed revisions: a revision `(table, id, ts)` never changes, so parsing it
 * once serves every later reader.
 */
import type { DocumentLogEntry } from "../storage/persistence.js";
import { encodeIndexKey } from "../values/index-key.js";
import { convexToJson, jsonToConvex } from "../values/json.js";
import { getDocumentSize } from "../values/size.js";
import type {
  Document,
  JsonValue,
  ObjectValue,
  Value,
} from "../values/value.js";

/** A parsed document revision with its size (values/size.ts accounting). */
export interface ParsedDocument {
  readonly document: Document;
  readonly size: number;
}

/** The value at a dotted field path (`"a.b"`), or undefined when any step is missing. */
export function fieldValue(doc: ObjectValue, path: string): Value | undefined {
  if (!path.includes("."))
    return Object.hasOwn(doc, path) ? doc[path] : undefined;
  let current: Value | undefined = doc;
  for (const part of path.split(".")) {
    if (
      current === null ||
      typeof current !== "object" ||
      Array.isArray(current) ||
      current instanceof ArrayBuffer ||
      !Object.hasOwn(current, part)
    ) {
      return undefined;
    }
    current = (current as ObjectValue)[part];
  }
  return current;
}

/** The index key of `doc` over `fields` (an index's full field list). */
export function indexKeyOf(
  fields: readonly string[],
  doc: Document,
): Uint8Array {
  return encodeIndexKey(fields.map((f) => fieldValue(doc, f)));
}

/** The stored text of a document. */
export function encodeDocument(doc: Document): string {
  return JSON.stringify(convexToJson(doc));
}

/** Parses stored document text. */
export function decodeDocument(text: string): Document {
  return jsonToConvex(JSON.parse(text) as JsonValue) as Document;
}

/**
 * Bounds of the parsed-revision cache: 20 000 revisions cover the working set of a typical app,
 * and 64 MiB of accounted document bytes bounds it when documents are large (up to 1 MiB each).
 */
const DEFAULT_CACHE_ENTRIES = 20_000;
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** An LRU of parsed revisions keyed by `(tableId, id, ts)`. Shared documents are immutable. */
export class DocumentCache {
  readonly #entries = new Map<string, ParsedDocument>();
  readonly #capacity: number;
  readonly #maxBytes: number;
  #bytes = 0;

  /** `capacity` 0 disables caching (for one-off scans). */
  constructor(
    capacity = DEFAULT_CACHE_ENTRIES,
    maxBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  /** The parsed revision of `entry`, or null for a tombstone. */
  parse(entry: DocumentLogEntry): ParsedDocument | null {
    if (entry.value === null) return null;
    const cacheKey = `${entry.tableId}\u0000${entry.id}\u0000${entry.ts}`;
    const hit = this.#entries.get(cacheKey);
    if (hit !== undefined) {
      this.#entries.delete(cacheKey);
      this.#entries.set(cacheKey, hit);
      return hit;
    }
    const document = decodeDocument(entry.value);
    const parsed = { document, size: getDocumentSize(document) };
    this.#remember(cacheKey, parsed);
    return parsed;
  }

  /** Seeds the cache with a revision the engine just wrote (avoids re-parsing it). */
  remember(
    tableId: string,
    id: string,
    ts: bigint,
    parsed: ParsedDocument,
  ): void {
    this.#remember(`${tableId}\u0000${id}\u0000${ts}`, parsed);
  }

  #remember(cacheKey: string, parsed: ParsedDocument): void {
    if (this.#capacity === 0) return;
    const previous = this.#entries.get(cacheKey);
    if (previous !== undefined) this.#bytes -= previous.size;
    this.#entries.set(cacheKey, parsed);
    this.#bytes += parsed.size;
    while (
      this.#entries.size > this.#capacity ||
      this.#bytes > this.#maxBytes
    ) {
      const oldest = this.#entries.entries().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1].size;
    }
  }
}
