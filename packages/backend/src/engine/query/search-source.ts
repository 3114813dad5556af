/**
 * The source stage of a `withSearchIndex` query: the table's documents at the transaction's view,
 * narrowed by the query's `q.eq` filters and ranked by `text-search.ts`, then yielded in relevance
 * order. There is no inverted index: the whole table is read for each search (and recorded in
 * the read set, so any write to the table re-runs a subscribed search), but only the results
 * count against the read limits, as Convex counts them.
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
  type FieldPath,
} from "./field-path.js";
import type {
  IndexReader,
  IndexScanItem,
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
  parseSearchText,
  rankCandidates,
  tokenize,
  type SearchTerms,
} from "./text-search.js";

/** A search query checked against its index. */
export interface CompiledSearch {
  readonly index: ResolvedSearchIndex;
  readonly terms: SearchTerms;
  readonly equalities: readonly {
    readonly path: FieldPath;
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
    if (!index.filterFields.includes(field)) {
      throw invalidSearch(
        `Filter on "${field}" is not in the filterFields of search index ${name}` +
          ` (${index.filterFields.map((f) => `"${f}"`).join(", ") || "none"}).`,
      );
    }
    return { path: filter.fieldPath, value: filter.value };
  });
  return { index, terms: parseSearchText(search.value), equalities };
}

function invalidSearch(message: string) {
  return badRequest("InvalidSearchQuery", message);
}

/** Yields a compiled search's results in relevance order; see the module comment. */
export class SearchSource implements RowSource {
  readonly #reader: IndexReader;
  readonly #search: CompiledSearch;
  readonly #bounds: ScanBounds;
  readonly #producedKeys: Uint8Array[] | null;
  #results: IndexScanItem[] | null = null;
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
    const item = this.#results[this.#next];
    if (item === undefined) return this.#finish();
    this.#next += 1;
    this.#reader.countRead(item.size);
    this.#rows += 1;
    this.#bytes += item.size;
    this.#position = { type: "after", key: item.key };
    this.#producedKeys?.push(item.key);
    return item;
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

  /** Reads the table and ranks it; the results within the cursors' bounds, keyed. */
  async #rank(): Promise<IndexScanItem[]> {
    const { index, terms, equalities } = this.#search;
    const searchPath = parseFieldPath(index.searchField);
    const corpus: string[][] = [];
    const candidates: {
      item: IndexScanItem;
      tokens: string[];
      creationTime: number;
    }[] = [];
    for await (const item of this.#reader.scanTable(index.tableName)) {
      const text = getFieldValue(item.document, searchPath);
      if (typeof text !== "string") continue;
      const tokens = tokenize(text);
      corpus.push(tokens);
      const matches = equalities.every(
        ({ path, value }) =>
          compareValues(getFieldValue(item.document, path), value) === 0,
      );
      if (!matches) continue;
      const creationTime = item.document["_creationTime"];
      candidates.push({
        item,
        tokens,
        creationTime: typeof creationTime === "number" ? creationTime : 0,
      });
    }
    const after =
      this.#bounds.startAfter?.type === "after"
        ? this.#bounds.startAfter.key
        : null;
    const upTo =
      this.#bounds.endAt?.type === "after" ? this.#bounds.endAt.key : null;
    const results: IndexScanItem[] = [];
    for (const hit of rankCandidates(terms, corpus, candidates)) {
      const key = encodeIndexKey([
        -hit.score,
        -hit.creationTime,
        hit.item.document._id,
      ]);
      if (after !== null && compareKeys(key, after) <= 0) continue;
      if (upTo !== null && compareKeys(key, upTo) > 0) break;
      results.push({ ...hit.item, key });
    }
    return results;
  }
}
