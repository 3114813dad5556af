/**
 * A transaction's buffered writes: the newest version of every document it wrote, and the
 * revision it replaced. At commit the write set becomes storage rows (one document revision per
 * written document, one index entry per index, plus a tombstone for a key that moved), the index
 * keys written (for OCC and subscriptions) and the committed documents.
 */
import type {
  DocumentLogEntry,
  IndexEntry,
  Timestamp,
} from "../storage/persistence.js";
import { compareKeys } from "../values/index-key.js";
import {
  COMMIT_TS_PLACEHOLDER,
  type Document,
  type ObjectValue,
  type Value,
} from "../values/value.js";
import type { Catalog, IndexInfo, TableInfo } from "./catalog.js";
import type { PreparedCommit } from "./committer.js";
import {
  encodeDocument,
  indexKeyOf,
  type DocumentCache,
} from "./document-codec.js";
import { indexKeyWrite, type IndexKeyWrite } from "./read-set.js";
import type { CommittedDocument } from "./write-log.js";

/** The revision a write replaced, as of the transaction's snapshot. */
export interface OriginalRevision {
  readonly document: Document;
  readonly ts: Timestamp;
}

/** One written document. Immutable: a later write to the same document replaces the object. */
export interface PendingWrite {
  readonly table: TableInfo;
  readonly id: string;
  /** The revision at the snapshot; null when the transaction inserted the document. */
  readonly original: OriginalRevision | null;
  /** The newest version, null when deleted. */
  readonly current: Document | null;
  readonly currentSize: number;
  /** Whether `current` holds a commit-ts placeholder to resolve at commit. */
  readonly hasCommitTs: boolean;
  /** Index keys of `current`, computed on demand, by index id. */
  readonly keys: Map<string, Uint8Array>;
}

/** Whether `value` contains the commit-ts placeholder anywhere. */
export function containsCommitTs(value: Value | undefined): boolean {
  if (value === COMMIT_TS_PLACEHOLDER) return true;
  if (Array.isArray(value)) return value.some((v) => containsCommitTs(v));
  if (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof ArrayBuffer)
  ) {
    return Object.values(value as ObjectValue).some(containsCommitTs);
  }
  return false;
}

function resolveCommitTs(
  value: Value | undefined,
  ts: bigint,
): Value | undefined {
  if (value === COMMIT_TS_PLACEHOLDER) return ts;
  if (Array.isArray(value))
    return value.map((v) => resolveCommitTs(v, ts) as Value);
  if (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof ArrayBuffer)
  ) {
    const out: { [key: string]: Value | undefined } = {};
    for (const [k, v] of Object.entries(value as ObjectValue))
      out[k] = resolveCommitTs(v, ts);
    return out;
  }
  return value;
}

/** The key of `write.current` in `index` (cached on the write). */
export function pendingKey(
  write: PendingWrite,
  index: Pick<IndexInfo, "id" | "fields">,
): Uint8Array {
  let key = write.keys.get(index.id);
  if (key === undefined) {
    key = indexKeyOf(index.fields, write.current!);
    write.keys.set(index.id, key);
  }
  return key;
}

function keysEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareKeys(a, b) === 0;
}

/** A saved state of a write set (see `WriteSet.checkpoint`). */
export interface WriteSetCheckpoint {
  readonly writes: ReadonlyMap<string, PendingWrite>;
}

export class WriteSet {
  readonly #writes = new Map<string, PendingWrite>();
  readonly #byTable = new Map<number, Map<string, PendingWrite>>();

  get size(): number {
    return this.#writes.size;
  }

  get(id: string): PendingWrite | undefined {
    return this.#writes.get(id);
  }

  /** The written documents of one table (live and deleted). */
  ofTable(tableNumber: number): ReadonlyMap<string, PendingWrite> | undefined {
    return this.#byTable.get(tableNumber);
  }

  /** Records the newest version of a document. */
  put(
    table: TableInfo,
    id: string,
    original: OriginalRevision | null,
    current: Document | null,
    currentSize: number,
  ): PendingWrite {
    const write: PendingWrite = {
      table,
      id,
      original,
      current,
      currentSize,
      hasCommitTs: current !== null && containsCommitTs(current),
      keys: new Map(),
    };
    this.#writes.set(id, write);
    let ofTable = this.#byTable.get(table.number);
    if (ofTable === undefined) {
      ofTable = new Map();
      this.#byTable.set(table.number, ofTable);
    }
    ofTable.set(id, write);
    return write;
  }

  /** The current state, to return to with `restore` (pending writes are immutable). */
  checkpoint(): WriteSetCheckpoint {
    return { writes: new Map(this.#writes) };
  }

  /** Returns to a state saved by `checkpoint`, dropping every write made since. */
  restore(checkpoint: WriteSetCheckpoint): void {
    this.#writes.clear();
    this.#byTable.clear();
    for (const write of checkpoint.writes.values()) {
      this.#writes.set(write.id, write);
      let ofTable = this.#byTable.get(write.table.number);
      if (ofTable === undefined) {
        ofTable = new Map();
        this.#byTable.set(write.table.number, ofTable);
      }
      ofTable.set(write.id, write);
    }
  }

  /** Every write, in first-write order. */
  values(): IterableIterator<PendingWrite> {
    return this.#writes.values();
  }

  /**
   * The storage rows and effects of committing at `ts`, with indexes taken from `catalog` (the
   * transaction's final catalog, which includes indexes and tables it created).
   */
  prepare(
    ts: Timestamp,
    catalog: Catalog,
    cache: DocumentCache,
  ): PreparedCommit {
    const documents: DocumentLogEntry[] = [];
    const indexes: IndexEntry[] = [];
    const indexWrites = new Map<string, IndexKeyWrite[]>();
    const committed: CommittedDocument[] = [];
    for (const pending of this.#writes.values()) {
      if (pending.original === null && pending.current === null) continue;
      const write = pending.hasCommitTs
        ? withResolvedCommitTs(pending, ts)
        : pending;
      const { table, id, original, current } = write;
      documents.push({
        ts,
        tableId: table.id,
        id,
        value: current === null ? null : encodeDocument(current),
        prevTs: original?.ts ?? null,
      });
      if (current !== null) {
        cache.remember(table.id, id, ts, {
          document: current,
          size: write.currentSize,
        });
      }
      committed.push({
        tableName: table.name,
        tableNumber: table.number,
        id,
        document: current,
      });
      for (const index of catalog.indexesOf(table.number)) {
        const oldKey =
          original === null
            ? null
            : indexKeyOf(index.fields, original.document);
        const newKey = current === null ? null : pendingKey(write, index);
        const keyWrites: IndexKeyWrite[] = [];
        if (
          oldKey !== null &&
          (newKey === null || !keysEqual(oldKey, newKey))
        ) {
          indexes.push({
            indexId: index.id,
            key: oldKey,
            ts,
            deleted: true,
            tableId: table.id,
            docId: id,
          });
          keyWrites.push(indexKeyWrite(oldKey, table.name, id));
        }
        if (newKey !== null) {
          indexes.push({
            indexId: index.id,
            key: newKey,
            ts,
            deleted: false,
            tableId: table.id,
            docId: id,
          });
          keyWrites.push(indexKeyWrite(newKey, table.name, id));
        }
        const list = indexWrites.get(index.id);
        if (list === undefined) indexWrites.set(index.id, keyWrites);
        else list.push(...keyWrites);
      }
    }
    return { documents, indexes, indexWrites, committed };
  }
}

function withResolvedCommitTs(write: PendingWrite, ts: bigint): PendingWrite {
  return {
    ...write,
    current: resolveCommitTs(write.current ?? undefined, ts) as Document,
    hasCommitTs: false,
    keys: new Map(),
  };
}
