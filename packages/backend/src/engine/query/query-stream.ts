/**
 * Runs a `QueryPlan` over an `IndexReader`: the source (an index interval scanned in order, or
 * a search's ranked results) yields documents that pass through the operators in the order the
 * query lists them (`filter` then `limit` differs from `limit` then `filter`), one document per
 * `next()`.
 */
import { badRequest } from "../../errors/backend-error.js";
import type { Document } from "../../values/value.js";
import { computeQueryFingerprint, type CursorPosition } from "./cursor.js";
import { evaluateFilter } from "./filter.js";
import type { IndexReader, ResolvedIndex } from "./index-reader.js";
import { compileIndexRange } from "./index-range.js";
import {
  IndexScanSource,
  type RowSource,
  type ScanBounds,
} from "./index-scan-source.js";
import type { QueryOperator, QueryPlan } from "./query-plan.js";
import { compileSearch, SearchSource } from "./search-source.js";

/** The index a full table scan reads: documents in `_creationTime` order. */
export const CREATION_TIME_INDEX = "by_creation_time";

/**
 * Starts executing `plan`. Resolves the index and compiles the range at once (synchronously, so
 * the `queryStream` syscall can answer immediately); nothing is read until the first `next()`.
 *
 * @throws BackendError BadRequest `IndexNotFoundError` for an unknown index, the index-range
 *   errors of `compileIndexRange`, the search errors of `compileSearch`, and whatever
 *   `resolveIndex` throws (e.g. an index still backfilling).
 */
export function openQueryStream(
  reader: IndexReader,
  plan: QueryPlan,
  bounds: ScanBounds = {},
): QueryStream {
  const { source } = plan;
  switch (source.type) {
    case "FullTableScan": {
      const index = mustResolve(reader, source.tableName, CREATION_TIME_INDEX);
      const interval = { start: new Uint8Array(0), end: null };
      return new QueryStream(
        plan,
        index.fields,
        new IndexScanSource(reader, index, interval, source.order, bounds),
      );
    }
    case "IndexRange": {
      const index = mustResolve(reader, source.tableName, source.indexName);
      const name = `${source.tableName}.${source.indexName}`;
      const interval = compileIndexRange(name, index.fields, source.range);
      return new QueryStream(
        plan,
        index.fields,
        new IndexScanSource(reader, index, interval, source.order, bounds),
      );
    }
    case "Search": {
      const index = reader.resolveSearchIndex(
        source.tableName,
        source.indexName,
      );
      if (index === null) throw indexNotFound(source);
      const search = compileSearch(index, source.filters);
      return new QueryStream(
        plan,
        [index.searchField, ...index.filterFields],
        new SearchSource(reader, search, bounds),
      );
    }
    default:
      return source satisfies never;
  }
}

function mustResolve(
  reader: IndexReader,
  tableName: string,
  indexName: string,
): ResolvedIndex {
  const index = reader.resolveIndex(tableName, indexName);
  if (index === null) throw indexNotFound({ tableName, indexName });
  return index;
}

function indexNotFound(name: { tableName: string; indexName: string }) {
  return badRequest(
    "IndexNotFoundError",
    `Index ${name.tableName}.${name.indexName} not found.`,
  );
}

/** A running query. Create it with `openQueryStream`. */
export class QueryStream {
  readonly #plan: QueryPlan;
  /** The fields of the index read, which the fingerprint covers. */
  readonly #indexFields: readonly string[];
  readonly #source: RowSource;
  /** Documents emitted so far by each `limit` operator, by operator position. */
  readonly #emitted: number[];
  #closed = false;
  /** Settles when the previous `next()` has finished. */
  #queue: Promise<void> = Promise.resolve();
  #fingerprint: Uint8Array | null = null;

  /** Use `openQueryStream`. */
  constructor(
    plan: QueryPlan,
    indexFields: readonly string[],
    source: RowSource,
  ) {
    this.#plan = plan;
    this.#indexFields = indexFields;
    this.#source = source;
    this.#emitted = plan.operators.map(() => 0);
  }

  /** The fingerprint binding pagination cursors to this query and index. */
  get fingerprint(): Uint8Array {
    this.#fingerprint ??= computeQueryFingerprint(
      this.#plan,
      this.#indexFields,
    );
    return this.#fingerprint;
  }

  /** Where the source stands (see `IndexScanSource.position`); what `continueCursor` encodes. */
  get position(): CursorPosition | null {
    return this.#source.position;
  }

  /** A middle position of the scanned rows, for `splitCursor`; null when not tracked or too few. */
  get splitPosition(): CursorPosition | null {
    return this.#source.splitPosition;
  }

  /** True when the scan passed three quarters of its read limits. */
  isApproachingDataLimit(): boolean {
    return this.#source.isApproachingDataLimit();
  }

  /**
   * The next document of the result, or null at the end (and forever after, or after `close()`).
   *
   * Calls may overlap (user code can issue several `queryStreamNext` at once): they are served
   * one after another, in call order.
   *
   * @throws BackendError from filter evaluation (`EvalError`), from the page maximums
   *   (`PaginationLimit`) and from the reader (transaction limits). The stream may be retried
   *   or closed afterwards.
   */
  next(): Promise<Document | null> {
    const result = this.#queue.then(() => this.#nextNow());
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async #nextNow(): Promise<Document | null> {
    if (this.#closed) return null;
    const document = await this.#pull(this.#plan.operators.length);
    return this.#closed ? null : document;
  }

  /**
   * True when the next `next()` would return null without reading storage, provided the
   * transaction writes nothing before it: a `limit` is used up, or the scan is at its end.
   */
  atEnd(): boolean {
    return this.#closed || this.#limitReached() || this.#source.atEnd();
  }

  /**
   * Ends the stream as a `next()` returning null would (call only when `atEnd()`): a used-up
   * `limit` reads nothing more; otherwise the scan's whole interval counts as read. Then closes.
   */
  finish(): void {
    if (!this.#closed && !this.#limitReached()) this.#source.finish();
    this.close();
  }

  #limitReached(): boolean {
    return this.#plan.operators.some(
      (operator, i) =>
        operator.type === "limit" && (this.#emitted[i] ?? 0) >= operator.limit,
    );
  }

  /** Stops the query and releases its scan. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.close();
  }

  /** The next document out of the first `stage` operators (stage 0 is the source). */
  async #pull(stage: number): Promise<Document | null> {
    if (stage === 0) return (await this.#source.next())?.document ?? null;
    const operator = this.#plan.operators[stage - 1] as QueryOperator;
    if (operator.type === "limit") {
      const emitted = this.#emitted[stage - 1] ?? 0;
      if (emitted >= operator.limit) return null;
      const document = await this.#pull(stage - 1);
      if (document !== null) this.#emitted[stage - 1] = emitted + 1;
      return document;
    }
    for (;;) {
      const document = await this.#pull(stage - 1);
      if (document === null || evaluateFilter(operator.expression, document))
        return document;
    }
  }
}
