/**
 * The contract between a transaction (owned by the engine core) and the query layer
 * (`engine/query/`): how a query finds an index and reads a key range of it.
 *
 * The transaction implements it; the query layer only consumes it. Everything the query layer
 * reads through `scan` lands in the transaction's read set and counts against its limits, so the
 * query layer never records reads itself.
 */
import type { KeyInterval, Order } from "../../storage/persistence.js";
import type { Document } from "../../values/value.js";

/** An index a query may read: its identity and the full list of fields its keys encode. */
export interface ResolvedIndex {
  /**
   * Opaque id of the index, stable for the index's life (the read set is keyed by it). Virtual
   * indexes of tables that do not exist have an id too; scanning them yields nothing.
   */
  readonly id: string;
  readonly tableName: string;
  /** The name as queries spell it after the dot: `by_id`, `by_creation_time`, `by_channel`. */
  readonly indexName: string;
  /**
   * Every field the index key encodes, in order: the user fields, then `_creationTime`, then
   * `_id`. `by_id` is `["_id"]`; `by_creation_time` is `["_creationTime", "_id"]`. A key is
   * `encodeIndexKey(fields.map(f => valueAt(document, f)))` (values/index-key.ts), where a
   * dotted field name is a nested path.
   */
  readonly fields: readonly string[];
}

/** A search index a query may read (`query/search-source.ts`). */
export interface ResolvedSearchIndex {
  readonly tableName: string;
  readonly indexName: string;
  /** The string field searched (a dotted path). */
  readonly searchField: string;
  /** The fields `q.eq` may filter on (dotted paths). */
  readonly filterFields: readonly string[];
}

/** A vector index an action may search (`query/vector-search.ts`). */
export interface ResolvedVectorIndex {
  readonly tableName: string;
  readonly indexName: string;
  /** The field holding each document's vector (a dotted path). */
  readonly vectorField: string;
  readonly dimensions: number;
  /** The fields `q.eq` may filter on (dotted paths). */
  readonly filterFields: readonly string[];
}

/** One document yielded by a scan. */
export interface IndexScanItem {
  /** The document's full index key (over `ResolvedIndex.fields`). */
  readonly key: Uint8Array;
  /**
   * The document as this transaction sees it (its own buffered writes applied). Shared with
   * caches: callers must treat it as immutable.
   */
  readonly document: Document;
  /** The document's size in bytes (values/size.ts `getDocumentSize`), already counted as read. */
  readonly size: number;
}

/**
 * An iterator over a scan. Call `return()` when stopping before exhaustion (a `for await` loop
 * does this on `break`); after `return()` or exhaustion, `next()` yields `done`.
 */
export interface IndexScanIterator extends AsyncIterator<
  IndexScanItem,
  undefined
> {
  return(): Promise<IteratorResult<IndexScanItem, undefined>>;
  /**
   * True when the next `next()` would end the scan without reading storage, provided nothing is
   * written before it (iterators that cannot tell omit it).
   */
  atEnd?(): boolean;
  /** Ends the scan as a `next()` at its end does (the whole interval counts as read). */
  finish?(): void;
}

export interface IndexReader {
  /**
   * Resolves `table.index`.
   *
   * - Returns the index when it exists and is queryable.
   * - Returns a virtual, always-empty index (with the standard fields for `by_id` and
   *   `by_creation_time`) when the table does not exist, so queries on missing tables return
   *   nothing, as Convex does. For a missing table and a user index name, returns null.
   * - Returns null when the table exists but has no index of that name.
   * - Throws `BackendError("BadRequest", "IndexNotReady", …)` when the index exists but is staged
   *   or still backfilling (not queryable yet).
   *
   * Does not record a read: the query layer scans the index next, which does.
   */
  resolveIndex(tableName: string, indexName: string): ResolvedIndex | null;

  /**
   * The documents of `index` whose key lies in `interval` (half-open `[start, end)`, keys over
   * `index.fields`), as of the transaction's snapshot merged with its own buffered writes, in key
   * order `order`.
   *
   * Read-set and limits contract:
   * - the part of `interval` actually consumed is recorded in the read set as it is consumed: the
   *   whole interval on exhaustion; on early stop only up to and including the last key yielded
   *   (from `start` upward for `asc`, from `end` downward for `desc`). A scan that is opened
   *   counts as one interval against the intervals limit even if nothing is consumed.
   * - every yielded document counts as one document read and `size` bytes read; exceeding a
   *   read limit throws `BackendError` from `next()` with Convex's message.
   *
   * The iterator stays valid while the transaction is open; the transaction may be written to
   * between `next()` calls and the scan then reflects those writes for keys not yet passed.
   */
  scan(
    index: ResolvedIndex,
    interval: KeyInterval,
    order: Order,
  ): IndexScanIterator;

  /**
   * Resolves the search index `table.index`: null when there is no such search index (or no such
   * table). Throws `BackendError("BadRequest", "IndexNotReady", …)` for a staged one.
   */
  resolveSearchIndex(
    tableName: string,
    indexName: string,
  ): ResolvedSearchIndex | null;

  /** Resolves the vector index `table.index`, as `resolveSearchIndex` does. */
  resolveVectorIndex(
    tableName: string,
    indexName: string,
  ): ResolvedVectorIndex | null;

  /**
   * The entries `spec` derives from every document of `tableName` as this transaction sees it,
   * in no particular order, for ranking a whole table (search). The whole table is recorded in
   * the read set; nothing counts against the read limits: read the documents a search returns
   * with `readDocument`.
   */
  projectTable<E>(tableName: string, spec: ProjectionSpec<E>): Promise<E[]>;

  /**
   * The document `id` as this transaction sees it, counted as one document read; null when it
   * does not exist.
   */
  readDocument(
    id: string,
  ): Promise<{ readonly document: Document; readonly size: number } | null>;
}

/**
 * How `IndexReader.projectTable` derives one entry per document. Equal keys must derive equal
 * entries: a reader may keep the entries of a key between transactions, current with commits.
 */
export interface ProjectionSpec<E> {
  /** Names the derivation (e.g. the search field and filter fields). */
  readonly key: string;
  /** The entry of `document`, or null when the document is not part of the projection. */
  derive(document: Document): E | null;
}
