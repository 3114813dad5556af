/**
 * `search`: full text searches/s (`withSearchIndex(...).take(10)`, two terms, the last a prefix)
 * through engine transactions on SQLite over 10,000 documents of 30 words, against SQLite's own
 * FTS5 index (`MATCH` ranked by `bm25`, then the ten rows read) over the same texts, in the same
 * run. Also logs the time of a vector search over 2,000 vectors of 1,536 dimensions.
 */
import Sqlite from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../src/engine/database.js";
import {
  parseVectorSearchQuery,
  runVectorSearch,
} from "../../src/engine/query/vector-search.js";
import { parseSchemaExport } from "../../src/engine/schema-definition.js";
import { SqlitePersistence } from "../../src/storage/sqlite/sqlite-persistence.js";
import { ratePerSecond, type BenchScenario } from "../bench-scenario.js";

const DOCUMENTS = 10_000;
const WORDS_PER_DOCUMENT = 30;
const VECTORS = 2_000;
const DIMENSIONS = 1_536;
const ROUNDS = 6;
const ROUND_MS = 500;

const VOCABULARY =
  "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega".split(
    " ",
  );

/** Document `i`'s text: a fixed mix of words, some with a number attached. */
function text(i: number): string {
  return Array.from(
    { length: WORDS_PER_DOCUMENT },
    (_, j) =>
      VOCABULARY[(i * 7 + j * 13) % VOCABULARY.length]! +
      (j % 5 === 0 ? String(i % 100) : ""),
  ).join(" ");
}

/** The queries both sides run, in turn: Hull's text, and FTS5's equivalent. */
const QUERIES = [
  ["gamma omeg", "gamma OR omeg*"],
  ["sigma7 alp", "sigma7 OR alp*"],
  ["psi kappa42", "psi OR kappa42*"],
] as const;

const schema = parseSchemaExport({
  tables: [
    {
      tableName: "docs",
      indexes: [],
      searchIndexes: [
        {
          indexDescriptor: "search_body",
          searchField: "body",
          filterFields: [],
        },
      ],
      documentType: { type: "any" },
    },
    {
      tableName: "vectors",
      indexes: [],
      vectorIndexes: [
        {
          indexDescriptor: "by_embedding",
          vectorField: "embedding",
          dimensions: DIMENSIONS,
          filterFields: [],
        },
      ],
      documentType: { type: "any" },
    },
  ],
  schemaValidation: false,
});

async function load(database: Database): Promise<void> {
  await database.schema.apply(schema);
  for (let start = 0; start < DOCUMENTS; start += 500) {
    await database.runInTransaction(async (tx) => {
      for (let i = start; i < start + 500; i++)
        await tx.insert("docs", { body: text(i) });
    });
  }
  for (let start = 0; start < VECTORS; start += 100) {
    await database.runInTransaction(async (tx) => {
      for (let i = start; i < start + 100; i++) {
        const embedding = Array.from({ length: DIMENSIONS }, (_, k) =>
          Math.sin(i + k),
        );
        await tx.insert("vectors", { embedding });
      }
    });
  }
}

/** SQLite FTS5 over the same texts, in its own file. */
function createBaseline(path: string) {
  const db = new Sqlite(path);
  db.exec("CREATE VIRTUAL TABLE docs USING fts5(body)");
  const insert = db.prepare("INSERT INTO docs (rowid, body) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < DOCUMENTS; i++) insert.run(i + 1, text(i));
  })();
  const search = db.prepare(
    "SELECT rowid, body FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10",
  );
  let q = 0;
  return {
    round(ms: number): number {
      return (
        ratePerSecond(ms, () => {
          const rows = search.all(QUERIES[q++ % QUERIES.length]![1]);
          if (rows.length === 0) throw new Error("FTS5 found nothing");
          return 1;
        }) *
        (ms / 1000)
      );
    },
    close: () => db.close(),
  };
}

function createHull(database: Database) {
  let q = 0;
  return async (ms: number): Promise<number> => {
    let searches = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      const tx = database.begin();
      const stream = tx.query({
        source: {
          type: "Search",
          indexName: "docs.search_body",
          filters: [
            {
              type: "Search",
              fieldPath: "body",
              value: QUERIES[q++ % QUERIES.length]![0],
            },
          ],
        },
        operators: [{ limit: 10 }],
      });
      let found = 0;
      while ((await stream.next()) !== null) found += 1;
      tx.close();
      if (found === 0) throw new Error("search found nothing");
      searches += 1;
    }
    return searches;
  };
}

async function vectorSearchMs(database: Database): Promise<number> {
  const query = parseVectorSearchQuery({
    indexName: "vectors.by_embedding",
    vector: Array.from({ length: DIMENSIONS }, (_, k) => Math.cos(k)),
    limit: 10,
    expressions: null,
  });
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const tx = database.begin();
    const start = performance.now();
    await runVectorSearch(tx, query);
    times.push(performance.now() - start);
    tx.close();
  }
  // The first search builds the projection; report the median of the rest.
  const warm = times.slice(1).sort((a, b) => a - b);
  return warm[Math.floor(warm.length / 2)]!;
}

export const scenario: BenchScenario = {
  name: "search",
  description: `full text searches (take 10) through engine transactions vs SQLite FTS5 with bm25, ${DOCUMENTS} documents of ${WORDS_PER_DOCUMENT} words on SQLite`,
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), "hull-bench-search-"));
    try {
      const persistence = SqlitePersistence.open({
        path: join(dir, "hull.sqlite3"),
      });
      const database = await Database.open({ persistence });
      await load(database);
      const baseline = createBaseline(join(dir, "fts.sqlite3"));
      const hullRound = createHull(database);
      await hullRound(ROUND_MS);
      let hullSearches = 0;
      let baselineSearches = 0;
      for (let round = 0; round < ROUNDS; round++) {
        baselineSearches += baseline.round(ROUND_MS);
        hullSearches += await hullRound(ROUND_MS);
      }
      log(
        `vector search, ${VECTORS} vectors of ${DIMENSIONS} dimensions: ${(await vectorSearchMs(database)).toFixed(1)} ms`,
      );
      baseline.close();
      await database.close();
      await persistence.close();
      const seconds = (ROUNDS * ROUND_MS) / 1000;
      const hull = hullSearches / seconds;
      const fts = baselineSearches / seconds;
      log(
        `baseline: ${fts.toFixed(0)} searches/s; hull: ${hull.toFixed(1)} searches/s`,
      );
      return {
        unit: "searches/s",
        hull: Number(hull.toFixed(1)),
        baseline: Math.round(fts),
        baselineName: "SQLite FTS5 MATCH ranked by bm25, LIMIT 10",
        better: "higher",
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
