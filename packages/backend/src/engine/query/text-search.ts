/**
 * Full text search over one string field: tokenizing, and ranking documents against a query by
 * BM25 relevance. Pure functions; `search-source.ts` feeds them a table's documents.
 *
 * Semantics (Convex's, as its documentation states them; the scoring code is our own):
 * - text is split into terms at every character that is neither a letter nor a digit, and
 *   compared case-insensitively;
 * - a document matches when its field holds at least one query term; the last query term also
 *   matches any term it is a prefix of (search as you type);
 * - results come in relevance order (BM25: rarer terms and terms repeated in shorter fields weigh
 *   more), ties newest first;
 * - at most `MAX_SEARCH_RESULTS` results, at most `MAX_SEARCH_TERMS` query terms.
 */
import { badRequest } from "../../errors/backend-error.js";

/** Convex's cap on the results of one search query. */
export const MAX_SEARCH_RESULTS = 1024;
/** Convex's cap on the terms of one search query. */
export const MAX_SEARCH_TERMS = 16;

/** BM25's term-frequency saturation and length normalisation (the usual constants). */
const K1 = 1.2;
const B = 0.75;

const TERM = /[\p{Alphabetic}\p{Number}]+/gu;

/** The terms of `text`, lowercased, in order (repeats kept). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TERM) ?? [];
}

/** A parsed search query: distinct exact terms, and the last term matched as a prefix. */
export interface SearchTerms {
  readonly exact: readonly string[];
  readonly prefix: string | null;
}

/**
 * The terms of a query text. An empty query (no letters or digits) has no terms and matches
 * nothing.
 *
 * @throws BackendError BadRequest `TooManySearchTerms` past `MAX_SEARCH_TERMS`.
 */
export function parseSearchText(text: string): SearchTerms {
  const terms = tokenize(text);
  if (terms.length > MAX_SEARCH_TERMS) {
    throw badRequest(
      "TooManySearchTerms",
      `Search query has ${terms.length} terms, more than the maximum of ${MAX_SEARCH_TERMS}.`,
    );
  }
  const prefix = terms.pop() ?? null;
  return { exact: [...new Set(terms)], prefix };
}

/** The terms of one text: how often each occurs, and how many there are in all. */
export interface TermCounts {
  readonly counts: ReadonlyMap<string, number>;
  readonly length: number;
}

/** Counts the terms of `text` (`tokenize`). */
export function countTerms(text: string): TermCounts {
  const counts = new Map<string, number>();
  const terms = tokenize(text);
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return { counts, length: terms.length };
}

/** One document of the index: its search field's terms and a tie-breaking creation time. */
export interface SearchDocument<T> {
  readonly item: T;
  readonly terms: TermCounts;
  readonly creationTime: number;
}

/** A ranked result. */
export interface SearchHit<T> {
  readonly item: T;
  readonly score: number;
  readonly creationTime: number;
}

/**
 * Ranks the documents of `corpus` that `isCandidate` accepts (those passing the query's equality
 * filters) against `query`. Term rarity and the average field length are measured over the
 * whole corpus (every document of the index), so a filter does not change a document's score.
 */
export function rankDocuments<D extends SearchDocument<unknown>>(
  query: SearchTerms,
  corpus: readonly D[],
  isCandidate: (document: D) => boolean,
): SearchHit<D["item"]>[] {
  const exact = query.exact;
  const prefix = query.prefix;
  const termCount = exact.length + (prefix === null ? 0 : 1);
  if (termCount === 0 || corpus.length === 0) return [];
  const documentFrequency = new Array<number>(termCount).fill(0);
  const matches: { document: D; frequencies: number[] }[] = [];
  let totalLength = 0;
  for (const document of corpus) {
    totalLength += document.terms.length;
    const { counts } = document.terms;
    let frequencies: number[] | null = null;
    for (let i = 0; i < termCount; i++) {
      const frequency =
        i < exact.length
          ? (counts.get(exact[i]!) ?? 0)
          : prefixFrequency(counts, prefix!);
      if (frequency === 0) continue;
      documentFrequency[i]! += 1;
      frequencies ??= new Array<number>(termCount).fill(0);
      frequencies[i] = frequency;
    }
    if (frequencies !== null && isCandidate(document))
      matches.push({ document, frequencies });
  }
  const averageLength = totalLength / corpus.length || 1;
  const idf = documentFrequency.map((df) =>
    Math.log(1 + (corpus.length - df + 0.5) / (df + 0.5)),
  );
  const hits = matches.map(({ document, frequencies }) => {
    const norm = K1 * (1 - B + (B * document.terms.length) / averageLength);
    let score = 0;
    frequencies.forEach((frequency, i) => {
      if (frequency > 0)
        score += (idf[i]! * frequency * (K1 + 1)) / (frequency + norm);
    });
    return {
      item: document.item,
      score,
      creationTime: document.creationTime,
    };
  });
  hits.sort((a, b) => b.score - a.score || b.creationTime - a.creationTime);
  return hits.slice(0, MAX_SEARCH_RESULTS);
}

/** Occurrences of the terms that start with `prefix`. */
function prefixFrequency(
  counts: ReadonlyMap<string, number>,
  prefix: string,
): number {
  let frequency = 0;
  for (const [term, count] of counts)
    if (term.startsWith(prefix)) frequency += count;
  return frequency;
}
