/**
 * Retention for the SQLite driver: `pruneBefore` in chunks, so a large log never blocks the event
 * loop for long.
 *
 * Each table is walked in primary-key order in chunks of about {@link PRUNE_CHUNK_ROWS} rows.
 * A chunk ends on a whole document (or whole index key), so the revisions of one document are
 * always judged and deleted together by one statement: a tombstone never disappears while the
 * revision it hides is still there. Between chunks the event loop runs; whatever runs then sees
 * a store where every read at or after the bound is unchanged.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite-database.js";
import { BOUND_LIMIT } from "./sqlite-statements.js";

/** Rows per chunk: a few milliseconds of work, then other callbacks get a turn. */
const PRUNE_CHUNK_ROWS = 2000;

/** The statements that prune one table whose rows are grouped by `(a, b)` and versioned by `ts`. */
interface TableStatements {
  readonly last: SqliteStatement;
  readonly firstBoundary: SqliteStatement;
  readonly nextBoundary: SqliteStatement;
  readonly deleteFirst: SqliteStatement;
  readonly deleteNext: SqliteStatement;
}

type GroupKey = [unknown, unknown];

function prepareTable(
  db: SqliteDatabase,
  table: string,
  a: string,
  b: string,
): TableStatements {
  // A revision at or before the bound goes when it is a tombstone or when a newer revision at
  // or before the bound shadows it (see `Persistence.pruneBefore`).
  const prunable = `ts <= @bound AND (deleted = 1 OR EXISTS (
    SELECT 1 FROM ${table} AS n
    WHERE n.${a} = ${table}.${a} AND n.${b} = ${table}.${b} AND n.ts > ${table}.ts AND n.ts <= @bound))`;
  const prepare = (sql: string) => db.prepare(sql).raw();
  return {
    last: prepare(
      `SELECT ${a}, ${b} FROM ${table} ORDER BY ${a} DESC, ${b} DESC LIMIT 1`,
    ),
    firstBoundary: prepare(
      `SELECT ${a}, ${b} FROM ${table} ORDER BY ${a}, ${b} LIMIT 1 OFFSET ${BOUND_LIMIT}`,
    ),
    nextBoundary: prepare(
      `SELECT ${a}, ${b} FROM ${table} WHERE (${a}, ${b}) > (?, ?) ORDER BY ${a}, ${b} LIMIT 1 OFFSET ${BOUND_LIMIT}`,
    ),
    deleteFirst: db.prepare(
      `DELETE FROM ${table} WHERE (${a}, ${b}) <= (@hiA, @hiB) AND ${prunable}`,
    ),
    deleteNext: db.prepare(
      `DELETE FROM ${table} WHERE (${a}, ${b}) > (@loA, @loB) AND (${a}, ${b}) <= (@hiA, @hiB) AND ${prunable}`,
    ),
  };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Prunes the `documents` and `indexes` tables of one connection. */
export class SqlitePruner {
  readonly #documents: TableStatements;
  readonly #indexes: TableStatements;

  constructor(db: SqliteDatabase) {
    this.#documents = prepareTable(db, "documents", "table_id", "id");
    this.#indexes = prepareTable(db, "indexes", "index_id", "key");
  }

  /**
   * Deletes what no snapshot at or after `bound` can see; returns the counts. `beforeChunk` runs
   * before each chunk (the driver checks it is still open there). Rows written while pruning is
   * under way may be left for the next call.
   */
  async prune(
    bound: bigint,
    beforeChunk: () => void,
  ): Promise<{ documents: number; indexes: number }> {
    const documents = await pruneTable(this.#documents, bound, beforeChunk);
    const indexes = await pruneTable(this.#indexes, bound, beforeChunk);
    return { documents, indexes };
  }
}

async function pruneTable(
  statements: TableStatements,
  bound: bigint,
  beforeChunk: () => void,
): Promise<number> {
  beforeChunk();
  const last = statements.last.get() as GroupKey | undefined;
  if (last === undefined) return 0;
  let deleted = 0;
  let low: GroupKey | null = null;
  for (;;) {
    const boundary = (
      low === null
        ? statements.firstBoundary.get(PRUNE_CHUNK_ROWS)
        : statements.nextBoundary.get(low[0], low[1], PRUNE_CHUNK_ROWS)
    ) as GroupKey | undefined;
    const [hiA, hiB] = boundary ?? last;
    const { changes } =
      low === null
        ? statements.deleteFirst.run({ hiA, hiB, bound })
        : statements.deleteNext.run({
            loA: low[0],
            loB: low[1],
            hiA,
            hiB,
            bound,
          });
    deleted += changes;
    if (boundary === undefined) return deleted;
    low = boundary;
    await yieldToEventLoop();
    beforeChunk();
  }
}
