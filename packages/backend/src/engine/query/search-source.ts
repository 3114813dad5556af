/**
 * The source stage of a `withSearchIndex` query: the terms of every document's search field at
 * the transaction's view (`IndexReader.projectTable`, kept in memory between transactions),
 * narrowed by the query's `q.eq` filters and ranked by `text-search.ts`; the results are read
 * and yielded in relevance order. The whole table is in the read set (any write to the table
 * re-runs a subscribed search), and only the results count against the read limits, as Convex
 * counts them.
 *
 * Every result gets a key that sorts in result order (score descending, then newest first, then
 * id), so pagination cursors work as for index scans: a page resumes after the last key it
 * returned, in the ranking of its own snapshot.
 */
import { badRequest } from "../../errors/backend-error.js";
import { compareValues } from "../../values/compare.js";
import { compareKeys, encodeIndexKey } from "../../values/index-key.js";
import type { Value } from "../../values/value.js";
import type { CursorPosition } from "./cursor.js";
import {
  formatFieldPath,
  getFieldValue,
  parseFieldPath,
} from "./field-path.js";
import { filterFieldPosition } from "./filter-fields.js";
import type {
  IndexReader,
  IndexScanItem,
  ProjectionSpec,
  ResolvedSearchIndex,
} from "./index-reader.js";
import {
  approachingDataLimit,
  checkPageLimits,
  middlePosition,
  type RowSource,
  type ScanBounds,
} from "./index-scan-source.js";
import type { SearchFilter } from "./query-plan.js";
import {
  countTerms,
  parseSearchText,
  rankDocuments,
  type SearchDocument,
  type SearchTerms,
} from "./text-search.js";

/** A search query checked against its index. */
export interface CompiledSearch {
  readonly index: ResolvedSearchIndex;
  readonly terms: SearchTerms;
  /** Each `q.eq`: its field's position in `filterFields`, and the value it must hold. */
  readonly equalities: readonly {
    readonly position: number;
    readonly value: Value | undefined;
  }[];
}

/**
 * Checks a search query's filters against `index`: exactly one `q.search` on the search field,
 * first, then `q.eq` on filter fields only.
 *
 * @throws BackendError BadRequest `InvalidSearchQuery`, or `TooManySearchTerms`.
 */
export function compileSearch(
  index: ResolvedSearchIndex,
  filters: readonly SearchFilter[],
): CompiledSearch {
  const name = `${index.tableName}.${index.indexName}`;
  const [search, ...rest] = filters;
  if (search?.type !== "Search") {
    throw invalidSearch(
      `Search query against ${name} must start with a search filter (q.search).`,
    );
  }
  if (formatFieldPath(search.fieldPath) !== index.searchField) {
    throw invalidSearch(
      `Search filter on "${formatFieldPath(search.fieldPath)}" does not match the search field "${index.searchField}" of ${name}.`,
    );
  }
  const equalities = rest.map((filter) => {
    const field = formatFieldPath(filter.fieldPath);
    if (filter.type === "Search") {
      throw invalidSearch(
        `Search query against ${name} has more than one search filter.`,
      );
    }
    const position = filterFieldPosition(
      index.filterFields,
      field,
      `search index ${name}`,
      invalidSearch,
    );
    return { position, value: filter.value };
  });
  return { index, terms: parseSearchText(search.value), equalities };
}

function invalidSearch(message: string) {
  return badRequest("InvalidSearchQuery", message);
}

/** What a search keeps of each document (`IndexReader.projectTable`). */
interface SearchEntry extends SearchDocument<string> {
  /** The values of the index's filter fields, in `filterFields` order. */
  readonly filterValues: readonly (Value | undefined)[];
}

/** The projection of a search index: documents whose search field is a string. */
function searchProjection(
  index: ResolvedSearchIndex,
): ProjectionSpec<SearchEntry> {
  const searchPath = parseFieldPath(index.searchField);
  const filterPaths = index.filterFields.map(parseFieldPath);
  return {
    key: JSON.stringify(["search", index.searchField, index.filterFields]),
    derive: (document) => {
      const text = getFieldValue(document, searchPath);
      if (typeof text !== "string") return null;
      const creationTime = document["_creationTime"];
      return {
        item: document._id,
        creationTime: typeof creationTime === "number" ? creationTime : 0,
        terms: countTerms(text),
        filterValues: filterPaths.map((path) => getFieldValue(document, path)),
      };
    },
  };
}

/** A ranked result not read yet: its id and cursor key. */
interface RankedResult {
  readonly id: string;
  readonly key: Uint8Array;
}

/** Yields a compiled search's results in relevance order; see the module comment. */
export class SearchSource implements RowSource {
  readonly #reader: IndexReader;
  readonly #search: CompiledSearch;
  readonly #bounds: ScanBounds;
  readonly #producedKeys: Uint8Array[] | null;
  #results: RankedResult[] | null = null;
  #next = 0;
  #position: CursorPosition | null;
  #done: boolean;
  #rows = 0;
  #bytes = 0;

  constructor(reader: IndexReader, search: CompiledSearch, bounds: ScanBounds) {
    this.#reader = reader;
    this.#search = search;
    this.#bounds = bounds;
    this.#position = bounds.startAfter ?? null;
    this.#done = bounds.startAfter?.type === "end";
    this.#producedKeys = bounds.trackSplitPosition ? [] : null;
  }

  get position(): CursorPosition | null {
    return this.#position;
  }

  get splitPosition(): CursorPosition | null {
    return middlePosition(this.#producedKeys);
  }

  isApproachingDataLimit(): boolean {
    return approachingDataLimit(this.#bounds, this.#rows, this.#bytes);
  }

  async next(): Promise<IndexScanItem | null> {
    if (this.#done) return null;
    checkPageLimits(this.#bounds, this.#rows, this.#bytes);
    this.#results ??= await this.#rank();
    for (;;) {
      const result = this.#results[this.#next];
      if (result === undefined) return this.#finish();
      this.#next += 1;
      // The ranking and the read share one snapshot, so every ranked document exists.
      const read = await this.#reader.readDocument(result.id);
      if (read === null) continue;
      this.#rows += 1;
      this.#bytes += read.size;
      this.#position = { type: "after", key: result.key };
      this.#producedKeys?.push(result.key);
      return { key: result.key, document: read.document, size: read.size };
    }
  }

  atEnd(): boolean {
    if (this.#done) return true;
    const { maximumBytesRead, maximumRowsRead } = this.#bounds;
    if (maximumBytesRead != null || maximumRowsRead != null) return false;
    return this.#results !== null && this.#next >= this.#results.length;
  }

  finish(): void {
    if (!this.#done) this.#finish();
  }

  close(): void {
    this.#done = true;
  }

  #finish(): null {
    this.#done = true;
    this.#position = this.#bounds.endAt ?? { type: "end" };
    return null;
  }

  /** Ranks the table; the results within the cursors' bounds, keyed. */
  async #rank(): Promise<RankedResult[]> {
    const { index, terms, equalities } = this.#search;
    const entries = await this.#reader.projectTable(
      index.tableName,
      searchProjection(index),
    );
    const after =
      this.#bounds.startAfter?.type === "after"
        ? this.#bounds.startAfter.key
        : null;
    const upTo =
      this.#bounds.endAt?.type === "after" ? this.#bounds.endAt.key : null;
    const results: RankedResult[] = [];
    const ranked = rankDocuments(terms, entries, (entry) =>
      equalities.every(
        ({ position, value }) =>
          compareValues(entry.filterValues[position], value) === 0,
      ),
    );
    for (const hit of ranked) {
      const key = encodeIndexKey([-hit.score, -hit.creationTime, hit.item]);
      if (after !== null && compareKeys(key, after) <= 0) continue;
      if (upTo !== null && compareKeys(key, upTo) > 0) break;
      results.push({ id: hit.item, key });
    }
    return results;
  }
}
