import { describe, expect, test } from "vitest";
import type { DocumentLogEntry, IndexEntry } from "../persistence.js";
import {
  buildWriteStatements,
  WRITE_CHUNK_BYTES,
  WRITE_CHUNK_ROWS,
} from "./postgres-write.js";

function docs(n: number, valueChars = 2): DocumentLogEntry[] {
  const value = JSON.stringify("x".repeat(Math.max(0, valueChars - 2)));
  return Array.from({ length: n }, (_, i) => ({
    tableId: "t",
    id: `d${i}`,
    ts: BigInt(i + 1),
    prevTs: null,
    value,
  }));
}

function entries(n: number): IndexEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    indexId: "i",
    key: Uint8Array.of(i >> 8, i & 0xff),
    ts: BigInt(i + 1),
    deleted: false,
    tableId: "t",
    docId: `d${i}`,
  }));
}

/**
 * Rows per statement: the length of the first array parameter of each (a binary array: its one
 * dimension's length follows ndim, the flags and the element OID).
 */
function rowsPerStatement(
  documents: DocumentLogEntry[],
  indexes: IndexEntry[],
): number[] {
  return buildWriteStatements({ documents, indexes }, "Error").map((s) =>
    (s.values?.[0] as Buffer).readInt32BE(12),
  );
}

describe("buildWriteStatements", () => {
  test("an empty write needs no statement", () => {
    expect(
      buildWriteStatements({ documents: [], indexes: [] }, "Error"),
    ).toEqual([]);
  });

  test("a write that fits one chunk per table is one statement inserting both", () => {
    const statements = buildWriteStatements(
      { documents: docs(3), indexes: entries(5) },
      "Error",
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.text).toMatch(
      /^WITH inserted_documents AS \(\s*INSERT INTO documents/,
    );
    expect(statements[0]?.values).toHaveLength(11);
    expect(statements[0]?.text).toContain("$11::bytea[]");
  });

  test("Overwrite statements update on conflict and are prepared under their own names", () => {
    const [error] = buildWriteStatements(
      { documents: docs(1), indexes: entries(1) },
      "Error",
    );
    const [overwrite] = buildWriteStatements(
      { documents: docs(1), indexes: entries(1) },
      "Overwrite",
    );
    expect(error?.text).not.toContain("ON CONFLICT");
    expect(overwrite?.text.match(/ON CONFLICT/g)).toHaveLength(2);
    expect(overwrite?.name).not.toBe(error?.name);
  });

  test("large writes are split by rows and by payload bytes", () => {
    const n = WRITE_CHUNK_ROWS * 2 + 1;
    expect(rowsPerStatement(docs(n), [])).toEqual([
      WRITE_CHUNK_ROWS,
      WRITE_CHUNK_ROWS,
      1,
    ]);
    expect(rowsPerStatement([], entries(n))).toEqual([
      WRITE_CHUNK_ROWS,
      WRITE_CHUNK_ROWS,
      1,
    ]);
    const mib = 1024 * 1024;
    const perChunk = Math.floor(WRITE_CHUNK_BYTES / mib);
    expect(rowsPerStatement(docs(perChunk + 1, mib), entries(1))).toEqual([
      perChunk,
      1,
      1,
    ]);
  });
});
