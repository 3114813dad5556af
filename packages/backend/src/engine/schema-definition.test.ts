import { expect, test } from "vitest";
import { parseSchemaExport } from "./schema-definition.js";

/** A one-table schema export with the given search and vector indexes. */
function withIndexes(table: Record<string, unknown>) {
  return () =>
    parseSchemaExport({
      tables: [
        {
          tableName: "docs",
          indexes: [],
          documentType: { type: "any" },
          ...table,
        },
      ],
      schemaValidation: false,
    });
}

const vector = (extra: Record<string, unknown>) => ({
  vectorIndexes: [
    {
      indexDescriptor: "by_v",
      vectorField: "v",
      dimensions: 3,
      filterFields: [],
      ...extra,
    },
  ],
});

test("search and vector indexes are parsed with their staged variants", () => {
  const schema = withIndexes({
    searchIndexes: [
      { indexDescriptor: "s", searchField: "body", filterFields: ["a.b"] },
    ],
    stagedVectorIndexes: [
      { indexDescriptor: "v", vectorField: "e", dimensions: 2 },
    ],
  })();
  expect(schema.tables[0]?.searchIndexes).toEqual([
    { name: "s", searchField: "body", filterFields: ["a.b"], staged: false },
  ]);
  expect(schema.tables[0]?.vectorIndexes).toEqual([
    {
      name: "v",
      vectorField: "e",
      dimensions: 2,
      filterFields: [],
      staged: true,
    },
  ]);
});

test("malformed search and vector indexes are refused with InvalidSchema", () => {
  const refused = (table: Record<string, unknown>, message: RegExp) => {
    expect(withIndexes(table)).toThrow(message);
    expect(withIndexes(table)).toThrow(
      expect.objectContaining({ shortMsg: "InvalidSchema" }),
    );
  };
  refused(vector({ dimensions: 1 }), /between 2 and 4096, received 1/);
  refused(vector({ dimensions: 4097 }), /between 2 and 4096/);
  refused(vector({ dimensions: "3" }), /received "3"/);
  refused(vector({ vectorField: 7 }), /fields must be non-empty strings/);
  refused(vector({ filterFields: "tenant" }), /filterFields must be an array/);
  refused(vector({ filterFields: ["t", "t"] }), /duplicate filter field/);
  refused(vector({ filterFields: ["_id"] }), /field "_id" is not allowed/);
  refused(
    vector({ filterFields: Array.from({ length: 17 }, (_, i) => `f${i}`) }),
    /at most 16 filter fields/,
  );
  refused({ searchIndexes: "s" }, /searchIndexes must be an array/);
  refused(
    { searchIndexes: [{ searchField: "b" }] },
    /malformed searchIndexes entry/,
  );
  refused(
    { searchIndexes: [{ indexDescriptor: "by_id", searchField: "b" }] },
    /reserved/,
  );
  refused(
    {
      indexes: [{ indexDescriptor: "dup", fields: ["a"] }],
      searchIndexes: [{ indexDescriptor: "dup", searchField: "b" }],
    },
    /two indexes named "dup"/,
  );
});
