import { expect, test } from "vitest";
import {
  MAX_SEARCH_RESULTS,
  parseSearchText,
  rankCandidates,
  tokenize,
  type SearchCandidate,
} from "./text-search.js";

test("tokenize lowercases and splits at everything but letters and digits", () => {
  expect(tokenize("Hello, WORLD! it's 2026 — Ünïcödé_snake")).toEqual([
    "hello",
    "world",
    "it",
    "s",
    "2026",
    "ünïcödé",
    "snake",
  ]);
  expect(tokenize(" ...  ")).toEqual([]);
});

test("the last query term is a prefix; the others are exact and distinct", () => {
  expect(parseSearchText("fox FOX qui")).toEqual({
    exact: ["fox"],
    prefix: "qui",
  });
  expect(parseSearchText("")).toEqual({ exact: [], prefix: null });
  expect(() => parseSearchText("a ".repeat(17))).toThrow(
    "Search query has 17 terms, more than the maximum of 16.",
  );
});

function candidates(texts: string[]): SearchCandidate<string>[] {
  return texts.map((text, i) => ({
    item: text,
    tokens: tokenize(text),
    creationTime: i,
  }));
}

function rank(query: string, texts: string[]): string[] {
  const all = candidates(texts);
  return rankCandidates(
    parseSearchText(query),
    all.map((c) => c.tokens),
    all,
  ).map((hit) => hit.item);
}

test("rarer terms, repeated terms and shorter fields rank higher; non-matches are dropped", () => {
  const texts = [
    "common common rare",
    "common",
    "common words in a much longer field of text",
    "unrelated",
    "rare",
  ];
  expect(rank("rare common", texts)).toEqual([
    "common common rare",
    "rare",
    "common",
    "common words in a much longer field of text",
  ]);
  expect(rank("comm", ["community center", "uncommon", "common"])).toEqual([
    "common",
    "community center",
  ]);
});

test("ties come newest first, and at most 1024 results", () => {
  const texts = Array.from({ length: MAX_SEARCH_RESULTS + 5 }, () => "same");
  const hits = rankCandidates(
    parseSearchText("same"),
    texts.map(tokenize),
    candidates(texts),
  );
  expect(hits).toHaveLength(MAX_SEARCH_RESULTS);
  expect(hits[0]?.creationTime).toBe(MAX_SEARCH_RESULTS + 4);
  expect(hits[1]?.creationTime).toBe(MAX_SEARCH_RESULTS + 3);
});
