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
 * Document revisions are small in the common case; 20 000 of them bound the cache to a few tens
 * of MiB while covering the working set of a typical app.
 */
const DEFAULT_CACHE_ENTRIES = 20_000;

/** An LRU of parsed revisions keyed by `(tableId, id, ts)`. Shared documents are immutable. */
export class DocumentCache {
  readonly #entries = new Map<string, ParsedDocument>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CACHE_ENTRIES) {
    this.#capacity = capacity;
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
    this.#entries.set(cacheKey, parsed);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }
}
