import { expect, test } from "vitest";
import { createArrayIndexReader } from "./array-index-reader.test-support.js";
import { parseVectorSearchQuery, runVectorSearch } from "./vector-search.js";

const valid = {
  indexName: "docs.by_v",
  vector: [1, 0],
  limit: 2,
  expressions: null,
};

test("malformed vector search queries are refused with InvalidVectorSearch", () => {
  const refused = (query: unknown, message: RegExp) => {
    expect(() => parseVectorSearchQuery(query)).toThrow(message);
    expect(() => parseVectorSearchQuery(query)).toThrow(
      expect.objectContaining({ shortMsg: "InvalidVectorSearch" }),
    );
  };
  refused("docs.by_v", /must be an object/);
  refused({ ...valid, indexName: "docs" }, /"table.index"/);
  refused({ ...valid, indexName: 3 }, /"table.index"/);
  refused({ ...valid, vector: [] }, /non-empty array of numbers/);
  refused({ ...valid, vector: [1, "2"] }, /non-empty array of numbers/);
  refused({ ...valid, limit: 0 }, /between 1 and 256, received 0/);
  refused({ ...valid, limit: 257 }, /between 1 and 256/);
  refused({ ...valid, limit: 1.5 }, /between 1 and 256/);
  refused({ ...valid, expressions: { $gt: [] } }, /q.eq\(field, value\)/);
  refused(
    { ...valid, expressions: { $eq: [{ $literal: 1 }, { $literal: 1 }] } },
    /q.eq\(field, value\)/,
  );
  expect(parseVectorSearchQuery({ ...valid, limit: undefined }).limit).toBe(10);
});

test("a search ranks by cosine similarity, skips documents outside the index, and filters with or", async () => {
  const reader = createArrayIndexReader([
    {
      name: "docs",
      vectorIndexes: {
        by_v: { vectorField: "v", dimensions: 2, filterFields: ["tag"] },
      },
      documents: [
        { _id: "a", _creationTime: 1, v: [1, 0], tag: "x" },
        { _id: "b", _creationTime: 2, v: [1, 1], tag: "y" },
        { _id: "c", _creationTime: 3, v: [0, 1], tag: "z" },
        { _id: "zero", _creationTime: 4, v: [0, 0], tag: "x" },
        { _id: "short", _creationTime: 5, v: [1], tag: "x" },
        { _id: "text", _creationTime: 6, v: "1,0", tag: "x" },
      ],
    },
  ]);
  const search = (query: Record<string, unknown>) =>
    runVectorSearch(reader, parseVectorSearchQuery({ ...valid, ...query }));
  expect((await search({ limit: 10 })).map((r) => r._id)).toEqual([
    "a",
    "b",
    "c",
  ]);
  const either = await search({
    expressions: {
      $or: [
        { $eq: [{ $field: "tag" }, { $literal: "y" }] },
        { $eq: [{ $field: "tag" }, { $literal: "z" }] },
      ],
    },
  });
  expect(either.map((r) => r._id)).toEqual(["b", "c"]);
  expect(either[0]?._score).toBeCloseTo(Math.SQRT1_2);
  await expect(search({ indexName: "docs.nope" })).rejects.toThrow(
    "Index docs.nope not found.",
  );
  await expect(
    search({ expressions: { $eq: [{ $field: "v" }, { $literal: 1 }] } }),
  ).rejects.toThrow(
    'Filter on "v" is not in the filterFields of vector index docs.by_v ("tag").',
  );
});
