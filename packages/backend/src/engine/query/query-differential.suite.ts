/**
 * Differential suite (issue 2 §5): random documents in a table with several indexes, changed by
 * patches, replaces and deletes, then random queries (index ranges with random valid bounds,
 * orders, filters, limits) and pagination walks run through the engine over one persistence, and
 * through the naive model of `query-model.test-support.ts`. Results must be identical. Run by
 * `query-differential.test.ts` (memory, SQLite) and `query-differential.pg.test.ts` (PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Document, JsonValue } from "../../values/value.js";
import type { Database } from "../database.js";
import { parseSchemaExport } from "../schema-definition.js";
import type { QueryPageResult } from "./pagination.js";
import {
  ITEM_INDEXES,
  randomItem,
  randomQuery,
  SeededRandom,
  VALUE_POOL,
  type QueryCase,
} from "./query-model.test-support.js";

const SEED = 20_261_122;
const DOCUMENTS = 120;
const MUTATIONS = 40;
const STREAM_QUERIES = 150;
const PAGINATION_WALKS = 40;
/** A walk that needs more pages than this is broken (each page scans at least one row). */
const MAX_PAGES = DOCUMENTS * 2 + 10;

const schema = parseSchemaExport({
  tables: [
    {
      tableName: "items",
      indexes: Object.entries(ITEM_INDEXES).map(
        ([indexDescriptor, fields]) => ({
          indexDescriptor,
          fields,
        }),
      ),
      stagedDbIndexes: [],
      searchIndexes: [],
      stagedSearchIndexes: [],
      vectorIndexes: [],
      stagedVectorIndexes: [],
      documentType: { type: "any" },
    },
  ],
  schemaValidation: false,
});

/** Fills the table, then changes it, so that the indexes hold several versions. */
async function populate(
  database: Database,
  random: SeededRandom,
): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = 0; batch < DOCUMENTS; batch += 30) {
    const { value } = await database.runInTransaction(async (tx) => {
      const out: string[] = [];
      for (let n = batch; n < Math.min(batch + 30, DOCUMENTS); n++) {
        out.push(await tx.insert("items", randomItem(random, n)));
      }
      return out;
    });
    ids.push(...value);
  }
  for (let i = 0; i < MUTATIONS; i++) {
    const id = random.pick(ids);
    const action = random.int(0, 3);
    await database.runInTransaction(async (tx) => {
      if ((await tx.get(id)) === null) return;
      if (action === 0) await tx.patch(id, { a: random.pick(VALUE_POOL) });
      if (action === 1)
        await tx.patch(id, { b: undefined, c: { d: random.pick(VALUE_POOL) } });
      if (action === 2) await tx.replace(id, randomItem(random, DOCUMENTS + i));
      if (action === 3) await tx.delete(id);
    });
  }
  return ids;
}

async function readAll(
  database: Database,
  ids: readonly string[],
): Promise<Document[]> {
  const tx = database.begin();
  try {
    const docs = await Promise.all(ids.map((id) => tx.get(id)));
    return docs.filter((doc) => doc !== null);
  } finally {
    tx.close();
  }
}

async function runStream(
  database: Database,
  json: JsonValue,
): Promise<Document[]> {
  const tx = database.begin();
  const stream = tx.query(json);
  try {
    const docs: Document[] = [];
    for (let doc = await stream.next(); doc !== null; doc = await stream.next())
      docs.push(doc);
    return docs;
  } finally {
    stream.close();
    tx.close();
  }
}

interface PageRequest {
  readonly query: JsonValue;
  readonly cursor: string | null;
  readonly endCursor?: string | null;
  readonly pageSize: number;
  readonly maximumRowsRead?: number | null;
  readonly maximumBytesRead?: number | null;
}

async function runPage(
  database: Database,
  request: PageRequest,
): Promise<QueryPageResult> {
  const tx = database.begin();
  try {
    return await tx.queryPage({
      endCursor: null,
      maximumRowsRead: null,
      maximumBytesRead: null,
      ...request,
    });
  } finally {
    tx.close();
  }
}

const ids = (docs: readonly Document[]) => docs.map((d) => d._id);

/** Walks every page; checks each page's shape, re-reads some with endCursor and splitCursor. */
async function walk(
  database: Database,
  random: SeededRandom,
  query: JsonValue,
): Promise<Document[]> {
  const pageSize = random.int(1, 12);
  const maximumRowsRead = random.chance(0.3) ? random.int(1, 20) : null;
  const maximumBytesRead = random.chance(0.2) ? random.int(1, 1500) : null;
  const all: Document[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const result = await runPage(database, {
      query,
      cursor,
      pageSize,
      maximumRowsRead,
      maximumBytesRead,
    });
    expect(result.page.length).toBeLessThanOrEqual(pageSize);
    if (result.pageStatus !== "SplitRequired" && !result.isDone) {
      expect(result.page).toHaveLength(pageSize);
    }
    if (random.chance(0.3)) await checkReread(database, query, cursor, result);
    all.push(...result.page);
    if (result.isDone) return all;
    cursor = result.continueCursor;
  }
  throw new Error(`pagination did not finish within ${MAX_PAGES} pages`);
}

async function checkReread(
  database: Database,
  query: JsonValue,
  cursor: string | null,
  result: QueryPageResult,
): Promise<void> {
  const again = await runPage(database, {
    query,
    cursor,
    endCursor: result.continueCursor,
    pageSize: 1,
  });
  expect(ids(again.page)).toEqual(ids(result.page));
  expect(again.continueCursor).toBe(result.continueCursor);
  if (result.splitCursor === null) return;
  const left = await runPage(database, {
    query,
    cursor,
    endCursor: result.splitCursor,
    pageSize: 1,
  });
  const right = await runPage(database, {
    query,
    cursor: result.splitCursor,
    endCursor: result.continueCursor,
    pageSize: 1,
  });
  expect([...ids(left.page), ...ids(right.page)]).toEqual(ids(result.page));
}

/** A database over a fresh persistence; disposing it closes and removes everything. */
export interface DifferentialTarget extends AsyncDisposable {
  readonly database: Database;
}

/** Registers the differential tests for the databases `open` creates. */
export function runQueryDifferentialSuite(
  name: string,
  open: () => Promise<DifferentialTarget>,
): void {
  describe(`query layer against a naive model (${name})`, () => {
    let target: DifferentialTarget;
    let documents: Document[];
    const random = new SeededRandom(SEED);
    const cases: QueryCase[] = [];

    beforeAll(async () => {
      target = await open();
      await target.database.schema.apply(schema);
      const allIds = await populate(target.database, random);
      documents = await readAll(target.database, allIds);
      for (let i = 0; i < STREAM_QUERIES; i++)
        cases.push(randomQuery(random, documents));
    });

    afterAll(async () => {
      await target[Symbol.asyncDispose]();
    });

    test("the model sees a table that still holds most documents", () => {
      expect(documents.length).toBeGreaterThan(DOCUMENTS / 2);
    });

    test("the generated queries select varied, non-trivial results", () => {
      const sizes = cases.map((c) => c.expected(documents).length);
      const nonEmpty = sizes.filter((n) => n > 0).length;
      const large = sizes.filter((n) => n > 5).length;
      expect(nonEmpty).toBeGreaterThan(cases.length * 0.3);
      expect(large).toBeGreaterThan(cases.length * 0.1);
    });

    test("streamed queries return exactly the model's documents, in order", async () => {
      for (const c of cases) {
        const actual = await runStream(target.database, c.json);
        const expected = c.expected(documents);
        expect(ids(actual), JSON.stringify(c.json)).toEqual(ids(expected));
        expect(actual).toEqual(expected);
      }
    });

    test("pagination walks return the model's documents exactly once, in order", async () => {
      let walks = 0;
      while (walks < PAGINATION_WALKS) {
        const c = randomQuery(random, documents);
        if (c.hasLimit) continue; // a limit applies per page, which the model does not describe
        walks += 1;
        const actual = await walk(target.database, random, c.json);
        expect(ids(actual), JSON.stringify(c.json)).toEqual(
          ids(c.expected(documents)),
        );
      }
    });
  });
}
