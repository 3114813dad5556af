/**
 * One index scan of a transaction: the snapshot's entries (read from storage in growing batches)
 * merged with the transaction's own buffered writes, in key order. Storage entries of documents
 * the transaction wrote are replaced by the buffered version, which is found among the buffered
 * writes at its own key. The part of the interval consumed grows the read-set interval in place.
 */
import type {
  IndexScanEntry,
  KeyInterval,
  Order,
  PersistenceReader,
  Timestamp,
} from "../storage/persistence.js";
import { compareKeys } from "../values/index-key.js";
import type { DocumentCache } from "./document-codec.js";
import type { IndexScanItem, IndexScanIterator } from "./query/index-reader.js";
import {
  intervalContains,
  keySuccessor,
  type GrowingInterval,
} from "./read-set.js";
import {
  pendingKey,
  type OriginalRevision,
  type PendingWrite,
  type WriteSet,
} from "./write-set.js";

/** First storage batch; each next batch is 4× larger up to the maximum (take(1) stays cheap). */
const FIRST_BATCH = 8;
const MAX_BATCH = 1024;

export interface ScanTarget {
  readonly indexId: string;
  readonly fields: readonly string[];
  readonly tableNumber: number;
  /** Whether the index exists in storage (false for the virtual index of a missing table). */
  readonly stored: boolean;
}

export interface ScanContext {
  readonly reader: PersistenceReader;
  readonly readTs: Timestamp;
  readonly writes: WriteSet;
  readonly cache: DocumentCache;
  /** Called for every yielded document (limit accounting); may throw. */
  readonly onRead: (size: number) => void;
  /** Called for every revision read from storage, so later point reads of it need no storage. */
  readonly onStored: (
    id: string,
    revision: OriginalRevision,
    size: number,
  ) => void;
}

/** Whether `a` comes before `b` in scan order. */
function before(a: Uint8Array, b: Uint8Array, order: Order): boolean {
  const c = compareKeys(a, b);
  return order === "asc" ? c < 0 : c > 0;
}

export class TransactionScan implements IndexScanIterator {
  readonly #context: ScanContext;
  readonly #target: ScanTarget;
  readonly #interval: KeyInterval;
  readonly #order: Order;
  readonly #growing: GrowingInterval;
  #buffer: IndexScanEntry[] = [];
  #bufferPos = 0;
  /** The unread part of the interval in storage (null when storage is exhausted). */
  #remaining: KeyInterval | null;
  #batchSize = FIRST_BATCH;
  #lastKey: Uint8Array | null = null;
  #done = false;

  constructor(
    context: ScanContext,
    target: ScanTarget,
    interval: KeyInterval,
    order: Order,
    growing: GrowingInterval,
  ) {
    this.#context = context;
    this.#target = target;
    this.#interval = interval;
    this.#order = order;
    this.#growing = growing;
    this.#remaining = target.stored ? interval : null;
  }

  async next(): Promise<IteratorResult<IndexScanItem, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    const stored = await this.#nextStored();
    const pending = this.#nextPending();
    let item: IndexScanItem | null = null;
    if (
      stored !== null &&
      (pending === null || before(stored.key, pending.key, this.#order))
    ) {
      this.#bufferPos += 1;
      item = this.#fromStorage(stored);
    } else if (pending !== null) {
      item = {
        key: pending.key,
        document: pending.write.current!,
        size: pending.write.currentSize,
      };
    }
    if (item === null) {
      this.#finish();
      return { done: true, value: undefined };
    }
    this.#consume(item.key);
    this.#context.onRead(item.size);
    return { done: false, value: item };
  }

  atEnd(): boolean {
    if (this.#done) return true;
    return this.#storedNow() === null && this.#nextPending() === null;
  }

  finish(): void {
    this.#finish();
  }

  async return(): Promise<IteratorResult<IndexScanItem, undefined>> {
    this.#done = true;
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * Whether a storage entry remains without fetching: the next unconsumed buffered entry (not
   * shadowed by a buffered write), `undefined` when the buffer is used up but storage may hold
   * more, null when storage is exhausted.
   */
  #storedNow(): IndexScanEntry | null | undefined {
    const own = this.#context.writes.ofTable(this.#target.tableNumber);
    for (let i = this.#bufferPos; i < this.#buffer.length; i++) {
      const entry = this.#buffer[i]!;
      const passed =
        this.#lastKey !== null &&
        !before(this.#lastKey, entry.key, this.#order);
      if (!passed && own?.has(entry.document.id) !== true) return entry;
    }
    return this.#remaining === null ? null : undefined;
  }

  /** Marks the whole interval as read. */
  #finish(): void {
    this.#done = true;
    this.#growing.start = this.#interval.start;
    this.#growing.end = this.#interval.end;
    this.#growing.empty = false;
  }

  /** Grows the read interval to cover everything up to and including `key`. */
  #consume(key: Uint8Array): void {
    this.#lastKey = key;
    if (this.#order === "asc") this.#growing.end = keySuccessor(key);
    else this.#growing.start = key;
    this.#growing.empty = false;
  }

  #fromStorage(entry: IndexScanEntry): IndexScanItem {
    const parsed = this.#context.cache.parse(entry.document);
    if (parsed === null)
      throw new Error(
        `index entry points at a tombstone: ${entry.document.id}`,
      );
    this.#context.onStored(
      entry.document.id,
      { document: parsed.document, ts: entry.document.ts },
      parsed.size,
    );
    return { key: entry.key, document: parsed.document, size: parsed.size };
  }

  /** The next storage entry not shadowed by a buffered write (without consuming it). */
  async #nextStored(): Promise<IndexScanEntry | null> {
    const own = this.#context.writes.ofTable(this.#target.tableNumber);
    for (;;) {
      while (this.#bufferPos < this.#buffer.length) {
        const entry = this.#buffer[this.#bufferPos]!;
        const passed =
          this.#lastKey !== null &&
          !before(this.#lastKey, entry.key, this.#order);
        if (!passed && own?.has(entry.document.id) !== true) return entry;
        this.#bufferPos += 1;
      }
      if (this.#remaining === null) return null;
      await this.#fetch(this.#remaining);
    }
  }

  async #fetch(remaining: KeyInterval): Promise<void> {
    const { reader, readTs } = this.#context;
    const batch: IndexScanEntry[] = [];
    for await (const entry of reader.indexScan(
      this.#target.indexId,
      readTs,
      remaining,
      this.#order,
      this.#batchSize,
    )) {
      batch.push(entry);
    }
    const last = batch[batch.length - 1];
    if (batch.length < this.#batchSize || last === undefined) {
      this.#remaining = null;
    } else if (this.#order === "asc") {
      this.#remaining = { start: keySuccessor(last.key), end: remaining.end };
    } else {
      this.#remaining = { start: remaining.start, end: last.key };
    }
    this.#batchSize = Math.min(this.#batchSize * 4, MAX_BATCH);
    this.#buffer = batch;
    this.#bufferPos = 0;
  }

  /** The first buffered live document after the last consumed key, inside the interval. */
  #nextPending(): { key: Uint8Array; write: PendingWrite } | null {
    const own = this.#context.writes.ofTable(this.#target.tableNumber);
    if (own === undefined) return null;
    let best: { key: Uint8Array; write: PendingWrite } | null = null;
    for (const write of own.values()) {
      if (write.current === null) continue;
      const key = pendingKey(write, {
        id: this.#target.indexId,
        fields: this.#target.fields,
      });
      if (!intervalContains(this.#interval, key)) continue;
      if (this.#lastKey !== null && !before(this.#lastKey, key, this.#order))
        continue;
      if (best === null || before(key, best.key, this.#order))
        best = { key, write };
    }
    return best;
  }
}
