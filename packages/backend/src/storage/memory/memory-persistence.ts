/**
 * `Persistence` in memory: sorted arrays and maps, nothing durable. It backs tests and the
 * `convexTest`-style harness, so creating one costs only a few empty maps.
 */
import type {
  ConflictStrategy,
  DocumentLogEntry,
  IndexScanEntry,
  JsonValue,
  KeyInterval,
  Order,
  Persistence,
  PersistenceCapabilities,
  PersistenceReader,
  PersistenceWrite,
  Timestamp,
  TimestampRange,
} from "../persistence.js";
import {
  createPersistenceConflict,
  toPersistenceError,
} from "../persistence-error.js";
import { MemoryDocumentLog } from "./memory-document-log.js";
import { MemoryIndex, toKeyString } from "./memory-index.js";
import { toAsyncIterable } from "../to-async-iterable.js";

/** A `Persistence` that lives in process memory and is lost with it. */
export class MemoryPersistence implements Persistence {
  /** Writes apply synchronously between reads' steps, so reads never wait for them. */
  readonly capabilities: PersistenceCapabilities = {
    supportsConcurrentReaders: true,
  };
  readonly #documents = new MemoryDocumentLog();
  readonly #indexes = new Map<string, MemoryIndex>();
  /** Globals as JSON text, so callers never share objects with the store. */
  readonly #globals = new Map<string, string>();
  readonly #reader: PersistenceReader;
  #closed = false;

  constructor() {
    this.#reader = {
      maxTs: () => this.#run("maxTs", () => this.#documents.maxTs()),
      loadDocuments: (range, order) => this.#loadDocuments(range, order),
      getDocument: (tableId, id, readTs) =>
        this.#run("getDocument", () =>
          this.#documents.latest(tableId, id, readTs),
        ),
      indexScan: (indexId, readTs, interval, order, limit) =>
        this.#indexScan(indexId, readTs, interval, order, limit),
      getGlobal: (key) =>
        this.#run("getGlobal", () => {
          const text = this.#globals.get(key);
          return text === undefined ? null : (JSON.parse(text) as JsonValue);
        }),
    };
  }

  reader(): PersistenceReader {
    return this.#reader;
  }

  write(write: PersistenceWrite, conflict: ConflictStrategy): Promise<void> {
    return this.#run("write", () => {
      // Check everything before changing anything: that is what makes the write atomic.
      if (conflict === "Error") this.#checkNoConflicts(write);
      for (const d of write.documents) {
        this.#documents.put({
          ts: d.ts,
          tableId: d.tableId,
          id: d.id,
          value: d.value,
          prevTs: d.prevTs,
        });
      }
      for (const e of write.indexes) {
        const key = e.key.slice();
        const { ts, deleted, tableId, docId } = e;
        this.#index(e.indexId).put(toKeyString(key), {
          key,
          ts,
          deleted,
          tableId,
          docId,
        });
      }
    });
  }

  writeGlobal(key: string, value: JsonValue): Promise<void> {
    return this.#run("writeGlobal", () => {
      this.#globals.set(key, JSON.stringify(value));
    });
  }

  pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }> {
    return this.#run("pruneBefore", () => {
      let indexes = 0;
      for (const index of this.#indexes.values())
        indexes += index.prune(minSnapshotTs);
      return { documents: this.#documents.prune(minSnapshotTs), indexes };
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #index(indexId: string): MemoryIndex {
    let index = this.#indexes.get(indexId);
    if (index === undefined)
      this.#indexes.set(indexId, (index = new MemoryIndex()));
    return index;
  }

  #checkNoConflicts(write: PersistenceWrite): void {
    // Length-prefixed parts make the row keys unambiguous whatever the ids contain.
    const seen = new Set<string>();
    const once = (rowKey: string, describe: () => string) => {
      if (seen.has(rowKey)) {
        throw createPersistenceConflict(
          `${describe()} appears twice in one write`,
        );
      }
      seen.add(rowKey);
    };
    for (const d of write.documents) {
      const describe = () =>
        `Document revision (${d.tableId}, ${d.id}, ${d.ts})`;
      if (this.#documents.has(d.tableId, d.id, d.ts)) {
        throw createPersistenceConflict(`${describe()} already exists`);
      }
      once(
        `d${d.tableId.length}:${d.tableId}${d.id.length}:${d.id}${d.ts}`,
        describe,
      );
    }
    for (const e of write.indexes) {
      const key = toKeyString(e.key);
      const describe = () =>
        `Index entry (${e.indexId}, ${Buffer.from(e.key).toString("hex")}, ${e.ts})`;
      if (this.#indexes.get(e.indexId)?.has(key, e.ts)) {
        throw createPersistenceConflict(`${describe()} already exists`);
      }
      once(
        `i${e.indexId.length}:${e.indexId}${key.length}:${key}${e.ts}`,
        describe,
      );
    }
  }

  #loadDocuments(
    range: TimestampRange,
    order: Order,
  ): AsyncIterable<DocumentLogEntry> {
    return toAsyncIterable("loadDocuments", () => {
      this.#assertOpen("loadDocuments");
      return this.#documents.load(range, order);
    });
  }

  #indexScan(
    indexId: string,
    readTs: Timestamp,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ): AsyncIterable<IndexScanEntry> {
    return toAsyncIterable("indexScan", () =>
      this.#scanEntries(indexId, readTs, interval, order, limit),
    );
  }

  *#scanEntries(
    indexId: string,
    readTs: Timestamp,
    interval: KeyInterval,
    order: Order,
    limit?: number,
  ): Generator<IndexScanEntry> {
    this.#assertOpen("indexScan");
    const index = this.#indexes.get(indexId);
    if (index === undefined || limit === 0) return;
    const end = interval.end === null ? null : toKeyString(interval.end);
    let count = 0;
    for (const v of index.scan(
      readTs,
      toKeyString(interval.start),
      end,
      order,
    )) {
      const document = this.#documents.exact(v.tableId, v.docId, v.ts);
      if (document === null) {
        throw toPersistenceError(
          "indexScan",
          new Error(
            `Index ${indexId} points at missing revision (${v.tableId}, ${v.docId}, ${v.ts})`,
          ),
        );
      }
      yield { key: v.key, ts: v.ts, document };
      if (++count === limit) return;
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed)
      throw toPersistenceError(
        operation,
        new Error("MemoryPersistence is closed"),
      );
  }

  /** Runs a synchronous operation as a promise, with errors normalised. */
  #run<T>(operation: string, fn: () => T): Promise<T> {
    try {
      this.#assertOpen(operation);
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(toPersistenceError(operation, e));
    }
  }
}
