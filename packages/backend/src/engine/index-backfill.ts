/**
 * Index backfill: fills a new index (state `backfilling`) for the documents that existed when it
 * was created. Every commit after the index's creation maintains it already (writers see it in
 * the catalog, and a writer that started earlier conflicts on the `_index` metadata), so the
 * backfill only needs the documents live at one snapshot at or after the creation: for each, it
 * writes the entry at the document revision's own ts (`Overwrite`, as a commit may already have
 * written the same row). When done, the index becomes `backfilled`.
 */
import type { Logger } from "../shared/logger.js";
import type {
  IndexEntry,
  Persistence,
  Timestamp,
} from "../storage/persistence.js";
import { BY_ID, INDEX_TABLE_NUMBER, type IndexInfo } from "./catalog.js";
import type { Database } from "./database.js";
import { DocumentCache, indexKeyOf } from "./document-codec.js";
import { keySuccessor } from "./read-set.js";

/** Documents per storage write: large enough to amortise fsyncs, small enough to stay responsive. */
const BACKFILL_BATCH = 512;

export interface BackfillProgress {
  readonly indexId: string;
  readonly table: string;
  readonly index: string;
  readonly documentsIndexed: number;
  readonly done: boolean;
}

export interface IndexBackfillDeps {
  readonly database: Database;
  readonly persistence: Persistence;
  readonly logger: Logger;
  readonly holdSnapshot: (ts: Timestamp) => () => void;
}

export class IndexBackfill {
  readonly #deps: IndexBackfillDeps;
  readonly #progress = new Map<string, BackfillProgress>();
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(deps: IndexBackfillDeps) {
    this.#deps = deps;
  }

  progress(): BackfillProgress[] {
    return [...this.#progress.values()];
  }

  /** Backfills `index` and marks it `backfilled`. */
  async run(index: IndexInfo): Promise<void> {
    const run = this.#run(index);
    this.#running.add(run);
    try {
      await run;
    } finally {
      this.#running.delete(run);
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error("database closing"));
    await Promise.allSettled([...this.#running]);
  }

  async #run(index: IndexInfo): Promise<void> {
    const { database, persistence, holdSnapshot } = this.#deps;
    const table = database.catalog.tableByNumber(index.tableNumber)!;
    const readTs = database.latestTs;
    const release = holdSnapshot(readTs);
    const report = (documentsIndexed: number, done: boolean): void => {
      this.#progress.set(index.id, {
        indexId: index.id,
        table: table.name,
        index: index.name,
        documentsIndexed,
        done,
      });
    };
    let indexed = 0;
    report(0, false);
    try {
      const reader = persistence.reader();
      const cache = new DocumentCache(0);
      let start: Uint8Array = new Uint8Array(0);
      for (;;) {
        this.#abort.signal.throwIfAborted();
        const rows: IndexEntry[] = [];
        let lastKey: Uint8Array | null = null;
        const interval = { start, end: null };
        const scan = reader.indexScan(
          `${table.number}/${BY_ID}`,
          readTs,
          interval,
          "asc",
          BACKFILL_BATCH,
        );
        for await (const entry of scan) {
          lastKey = entry.key;
          const parsed = cache.parse(entry.document);
          if (parsed === null) continue;
          const key = indexKeyOf(index.fields, parsed.document);
          rows.push({
            indexId: index.id,
            key,
            ts: entry.ts,
            deleted: false,
            tableId: table.id,
            docId: entry.document.id,
          });
        }
        if (rows.length > 0)
          await persistence.write(
            { documents: [], indexes: rows },
            "Overwrite",
          );
        indexed += rows.length;
        report(indexed, false);
        if (lastKey === null || rows.length < BACKFILL_BATCH) break;
        start = keySuccessor(lastKey);
      }
    } finally {
      release();
    }
    await database.runInTransaction(async (tx) => {
      tx.recordMetadataRead();
      const current = tx.catalog
        .indexesOf(index.tableNumber)
        .find((i) => i.id === index.id);
      if (current?.state !== "backfilling") return;
      await tx.writeMetadata(INDEX_TABLE_NUMBER, index.id, {
        table: index.tableNumber,
        name: index.name,
        fields: [...index.userFields],
        state: "backfilled",
        staged: index.staged,
      });
    });
    report(indexed, true);
  }
}
