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

/** One candidate document: its search field's terms and a tie-breaking creation time. */
export interface SearchCandidate<T> {
  readonly item: T;
  readonly tokens: readonly string[];
  readonly creationTime: number;
}

/** A ranked result. */
export interface SearchHit<T> {
  readonly item: T;
  readonly score: number;
  readonly creationTime: number;
}

/**
 * Ranks `candidates` against `terms`. `corpus` is every document of the index (the candidates
 * are the ones that pass the query's equality filters): term rarity and the average field length
 * are measured over it, so a filter does not change a document's score.
 */
export function rankCandidates<T>(
  terms: SearchTerms,
  corpus: readonly (readonly string[])[],
  candidates: readonly SearchCandidate<T>[],
): SearchHit<T>[] {
  const queryTerms = [
    ...terms.exact.map((term) => ({ term, prefix: false })),
    ...(terms.prefix === null ? [] : [{ term: terms.prefix, prefix: true }]),
  ];
  if (queryTerms.length === 0 || corpus.length === 0) return [];
  const matches = (token: string, q: { term: string; prefix: boolean }) =>
    q.prefix ? token.startsWith(q.term) : token === q.term;
  const documentFrequency = queryTerms.map(
    (q) => corpus.filter((tokens) => tokens.some((t) => matches(t, q))).length,
  );
  const averageLength =
    corpus.reduce((sum, tokens) => sum + tokens.length, 0) / corpus.length || 1;
  const idf = documentFrequency.map((df) =>
    Math.log(1 + (corpus.length - df + 0.5) / (df + 0.5)),
  );
  const hits: SearchHit<T>[] = [];
  for (const candidate of candidates) {
    const norm = K1 * (1 - B + (B * candidate.tokens.length) / averageLength);
    let score = 0;
    queryTerms.forEach((q, i) => {
      let frequency = 0;
      for (const token of candidate.tokens) if (matches(token, q)) frequency++;
      if (frequency > 0)
        score += ((idf[i] ?? 0) * frequency * (K1 + 1)) / (frequency + norm);
    });
    if (score > 0) {
      hits.push({
        item: candidate.item,
        score,
        creationTime: candidate.creationTime,
      });
    }
  }
  hits.sort((a, b) => b.score - a.score || b.creationTime - a.creationTime);
  return hits.slice(0, MAX_SEARCH_RESULTS);
}
