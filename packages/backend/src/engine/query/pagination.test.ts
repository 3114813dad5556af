import { describe, expect, test } from "vitest";
import type { Document } from "../../values/value.js";
import {
  createArrayIndexReader,
  documentSize,
} from "./array-index-reader.test-support.js";
import { createCursorCodec } from "./cursor.js";
import type { IndexReader } from "./index-reader.js";
import {
  parseQueryPageArgs,
  runQueryPage,
  type QueryPageArgs,
  type QueryPageResult,
} from "./pagination.js";

const codec = createCursorCodec(new Uint8Array(32).fill(1));

function makeDocs(count: number): Document[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: `d${String(i).padStart(5, "0")}`,
    _creationTime: i + 1,
    n: BigInt(i),
    even: i % 2 === 0,
  }));
}

function readerOf(documents: Document[]) {
  return createArrayIndexReader([
    { name: "t", indexes: { by_n: ["n"] }, documents },
  ]);
}

const scan = (order: "asc" | "desc" = "asc", operators: unknown[] = []) => ({
  source: { type: "FullTableScan", tableName: "t", order },
  operators,
});
const onlyEven = { filter: { $eq: [{ $field: "even" }, { $literal: true }] } };
const nothing = { filter: { $literal: false } };

function page(
  reader: IndexReader,
  args: Partial<QueryPageArgs> & { query: unknown },
): Promise<QueryPageResult> {
  return runQueryPage(reader, codec, {
    cursor: null,
    endCursor: null,
    pageSize: 10,
    maximumRowsRead: null,
    maximumBytesRead: null,
    ...args,
  });
}

const ids = (result: QueryPageResult) => result.page.map((d) => d._id);

async function walk(reader: IndexReader, query: unknown, pageSize: number) {
  const pages: QueryPageResult[] = [];
  let cursor: string | null = null;
  for (;;) {
    const result = await page(reader, { query, cursor, pageSize });
    pages.push(result);
    if (result.isDone) return pages;
    cursor = result.continueCursor;
  }
}

describe("parseQueryPageArgs", () => {
  test("reads what .paginate() sends, ignoring extra fields", () => {
    expect(
      parseQueryPageArgs({
        query: scan(),
        cursor: null,
        endCursor: null,
        pageSize: 10,
        maximumRowsRead: null,
        version: "1.48.0",
      }),
    ).toEqual({
      query: scan(),
      cursor: null,
      endCursor: null,
      pageSize: 10,
      maximumRowsRead: null,
      maximumBytesRead: null,
    });
  });

  test("rejects page sizes and limits the backend rejects", () => {
    const base = { query: scan(), cursor: null, pageSize: 10 };
    const cases: [unknown, string, string][] = [
      [
        { ...base, pageSize: 0 },
        "NoDocumentsForPagination",
        "Must request at least 1 document while paginating",
      ],
      [
        { ...base, pageSize: 32001 },
        "PageSizeTooLarge",
        "Requested too many items: 32001",
      ],
      [
        { ...base, maximumRowsRead: 0 },
        "InvalidPaginationLimit",
        "maximumRowsRead and maximumBytesRead must be greater than 0",
      ],
      [
        { ...base, maximumBytesRead: 0 },
        "InvalidPaginationLimit",
        "maximumRowsRead and maximumBytesRead must be greater than 0",
      ],
      [
        { ...base, pageSize: 2.5 },
        "InvalidArgument",
        "`pageSize` must be a non-negative integer",
      ],
      [
        { ...base, pageSize: undefined },
        "InvalidArgument",
        "`pageSize` is required",
      ],
      [
        { ...base, cursor: 5 },
        "InvalidArgument",
        "`cursor` must be a string or null",
      ],
    ];
    for (const [json, shortMsg, message] of cases) {
      expect(() => parseQueryPageArgs(json)).toThrow(
        expect.objectContaining({
          code: "BadRequest",
          shortMsg,
          message: expect.stringContaining(message) as string,
        }),
      );
    }
    expect(parseQueryPageArgs({ ...base, pageSize: 32000 }).pageSize).toBe(
      32000,
    );
  });
});

describe("runQueryPage", () => {
  test("walks every document exactly once, in order, in both directions", async () => {
    const reader = readerOf(makeDocs(23));
    for (const order of ["asc", "desc"] as const) {
      const pages = await walk(reader, scan(order), 5);
      const all = pages.flatMap(ids);
      const expected = makeDocs(23).map((d) => d._id);
      expect(all).toEqual(order === "asc" ? expected : expected.reverse());
      expect(pages.map((p) => p.page.length)).toEqual([5, 5, 5, 5, 3]);
      for (const p of pages) expect(typeof p.continueCursor).toBe("string");
    }
  });

  test("a page that fills on the last row is not done; the next one is empty and done", async () => {
    const reader = readerOf(makeDocs(10));
    const first = await page(reader, { query: scan(), pageSize: 10 });
    expect(first.isDone).toBe(false);
    const second = await page(reader, {
      query: scan(),
      cursor: first.continueCursor,
    });
    expect(second).toMatchObject({ page: [], isDone: true, pageStatus: null });
    const third = await page(reader, {
      query: scan(),
      cursor: second.continueCursor,
    });
    expect(third).toMatchObject({ page: [], isDone: true });
    expect(third.continueCursor).toBe(second.continueCursor);
  });

  test("fills pages with rows that pass the filters", async () => {
    const pages = await walk(
      readerOf(makeDocs(20)),
      scan("asc", [onlyEven]),
      4,
    );
    expect(pages.flatMap(ids)).toEqual(
      makeDocs(20)
        .filter((d) => d["even"])
        .map((d) => d._id),
    );
    expect(ids(pages[0] as QueryPageResult)).toEqual([
      "d00000",
      "d00002",
      "d00004",
      "d00006",
    ]);
  });

  test("counts maximumRowsRead before filters and ends the page with SplitRequired", async () => {
    const reader = readerOf(makeDocs(10));
    const first = await page(reader, {
      query: scan("asc", [nothing]),
      maximumRowsRead: 3,
    });
    expect(first).toMatchObject({
      page: [],
      isDone: false,
      pageStatus: "SplitRequired",
    });
    expect(reader.scans[0]?.yielded).toBe(3);
    const second = await page(reader, {
      query: scan("asc", [onlyEven]),
      cursor: null,
      maximumRowsRead: 3,
    });
    expect(ids(second)).toEqual(["d00000", "d00002"]);
    expect(second.pageStatus).toBe("SplitRequired");
    const rest = await page(reader, {
      query: scan("asc", [onlyEven]),
      cursor: second.continueCursor,
    });
    expect(ids(rest)).toEqual(["d00004", "d00006", "d00008"]);
    expect(rest.isDone).toBe(true);
  });

  test("a page that fills exactly at maximumRowsRead is not SplitRequired", async () => {
    const result = await page(readerOf(makeDocs(10)), {
      query: scan(),
      pageSize: 3,
      maximumRowsRead: 3,
    });
    expect(result.pageStatus).toBe("SplitRecommended"); // 3 rows > 3/4 of 3
    expect(result.page).toHaveLength(3);
  });

  test("stops once maximumBytesRead is reached, always making progress", async () => {
    const docs = makeDocs(10);
    const twoRows =
      documentSize(docs[0] as Document) + documentSize(docs[1] as Document);
    const reader = readerOf(docs);
    const exact = await page(reader, {
      query: scan(),
      maximumBytesRead: twoRows,
    });
    expect(ids(exact)).toEqual(["d00000", "d00001"]);
    expect(exact.pageStatus).toBe("SplitRequired");
    const over = await page(reader, {
      query: scan(),
      maximumBytesRead: twoRows + 1,
    });
    expect(ids(over)).toEqual(["d00000", "d00001", "d00002"]);
    const tiny = await page(reader, { query: scan(), maximumBytesRead: 1 });
    expect(ids(tiny)).toEqual(["d00000"]);
  });

  test("recommends a split past three quarters of the limits", async () => {
    const reader = readerOf(makeDocs(20));
    const near = await page(reader, {
      query: scan(),
      pageSize: 7,
      maximumRowsRead: 8,
    });
    expect(near.pageStatus).toBe("SplitRecommended");
    const below = await page(reader, {
      query: scan(),
      pageSize: 6,
      maximumRowsRead: 8,
    });
    expect(below.pageStatus).toBeNull();
  });

  test("recommends a split for pages of more than 6144 rows", async () => {
    const reader = readerOf(makeDocs(6200));
    const big = await page(reader, { query: scan(), pageSize: 6145 });
    expect(big.pageStatus).toBe("SplitRecommended");
    const ok = await page(reader, { query: scan(), pageSize: 6144 });
    expect(ok.pageStatus).toBeNull();
  });

  test("with endCursor returns everything in (cursor, endCursor], past pageSize and the maximums", async () => {
    const docs = makeDocs(30);
    const first = await page(readerOf(docs), { query: scan(), pageSize: 10 });
    const grown = readerOf([
      ...docs,
      { _id: "new", _creationTime: 5.5, n: 100n, even: true },
    ]);
    const again = await page(grown, {
      query: scan(),
      endCursor: first.continueCursor,
      pageSize: 2,
      maximumRowsRead: 1,
    });
    expect(ids(again)).toEqual([
      ...ids(first).slice(0, 5),
      "new",
      ...ids(first).slice(5),
    ]);
    expect(again.continueCursor).toBe(first.continueCursor);
    expect(again.isDone).toBe(false);
    // The soft limits still apply (as in Convex): 11 rows are well past 3/4 of one.
    expect(again.pageStatus).toBe("SplitRecommended");
  });

  test("splitCursor divides a page into two that cover it exactly", async () => {
    const reader = readerOf(makeDocs(30));
    const query = scan("desc", [onlyEven]);
    const whole = await page(reader, { query, pageSize: 8 });
    expect(whole.splitCursor).not.toBeNull();
    const left = await page(reader, { query, endCursor: whole.splitCursor });
    const right = await page(reader, {
      query,
      cursor: whole.splitCursor,
      endCursor: whole.continueCursor,
    });
    expect([...ids(left), ...ids(right)]).toEqual(ids(whole));
    expect(left.page.length).toBeGreaterThan(0);
    expect(right.page.length).toBeGreaterThan(0);
  });

  test("has no splitCursor when at most two rows were scanned", async () => {
    const result = await page(readerOf(makeDocs(2)), { query: scan() });
    expect(result).toMatchObject({ isDone: true, splitCursor: null });
  });

  test("rejects a cursor from a different query with Convex's message", async () => {
    const reader = readerOf(makeDocs(10));
    const first = await page(reader, { query: scan("asc"), pageSize: 2 });
    for (const other of [scan("desc"), scan("asc", [onlyEven])]) {
      await expect(
        page(reader, { query: other, cursor: first.continueCursor }),
      ).rejects.toThrow(
        expect.objectContaining({
          shortMsg: "InvalidCursor",
          message:
            "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.",
        }),
      );
    }
    await expect(
      page(reader, { query: scan(), endCursor: "garbage" }),
    ).rejects.toThrow(expect.objectContaining({ shortMsg: "InvalidCursor" }));
  });

  test("continues with a cursor after a restart (same secret, new codec)", async () => {
    const reader = readerOf(makeDocs(6));
    const first = await page(reader, { query: scan(), pageSize: 3 });
    const restarted = createCursorCodec(new Uint8Array(32).fill(1));
    const second = await runQueryPage(reader, restarted, {
      query: scan(),
      cursor: first.continueCursor,
      endCursor: null,
      pageSize: 3,
      maximumRowsRead: null,
      maximumBytesRead: null,
    });
    expect(ids(second)).toEqual(["d00003", "d00004", "d00005"]);
  });

  test("applies a limit operator per page, as Convex does", async () => {
    const reader = readerOf(makeDocs(5));
    const query = scan("asc", [{ limit: 2 }]);
    const first = await page(reader, { query });
    expect(ids(first)).toEqual(["d00000", "d00001"]);
    expect(first.isDone).toBe(false);
    const second = await page(reader, { query, cursor: first.continueCursor });
    expect(ids(second)).toEqual(["d00002", "d00003"]);
  });

  test("treats a query limited to zero rows as done", async () => {
    const result = await page(readerOf(makeDocs(3)), {
      query: scan("asc", [{ limit: 0 }]),
    });
    expect(result).toMatchObject({ page: [], isDone: true });
  });

  test("closes its scan", async () => {
    const reader = readerOf(makeDocs(10));
    await page(reader, { query: scan(), pageSize: 2 });
    expect(reader.scans[0]?.returned).toBe(true);
  });
});
