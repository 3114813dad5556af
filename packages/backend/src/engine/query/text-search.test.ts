import { expect, test } from "vitest";
import {
  countTerms,
  MAX_SEARCH_RESULTS,
  parseSearchText,
  rankDocuments,
  tokenize,
  type SearchDocument,
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

function documents(texts: string[]): SearchDocument<string>[] {
  return texts.map((text, i) => ({
    item: text,
    terms: countTerms(text),
    creationTime: i,
  }));
}

function rank(query: string, texts: string[]): string[] {
  return rankDocuments(
    parseSearchText(query),
    documents(texts),
    () => true,
  ).map((hit) => hit.item);
}

test("a filter drops documents but not their weight in term rarity", () => {
  const corpus = documents(["apple pie", "apple", "pear", "pear tart"]);
  const pears = rankDocuments(parseSearchText("pear apple"), corpus, (d) =>
    d.item.startsWith("pear"),
  );
  expect(pears.map((hit) => hit.item)).toEqual(["pear", "pear tart"]);
  const all = rankDocuments(parseSearchText("pear apple"), corpus, () => true);
  expect(all.find((hit) => hit.item === "pear")?.score).toBe(pears[0]?.score);
});

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
  const hits = rankDocuments(
    parseSearchText("same"),
    documents(texts),
    () => true,
  );
  expect(hits).toHaveLength(MAX_SEARCH_RESULTS);
  expect(hits[0]?.creationTime).toBe(MAX_SEARCH_RESULTS + 4);
  expect(hits[1]?.creationTime).toBe(MAX_SEARCH_RESULTS + 3);
});
