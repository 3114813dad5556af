/**
 * Test-only helpers shared by the `persistence.*.suite.ts` files: fixtures, row builders and
 * normalisers that make results from every driver comparable (a driver may return `Buffer`s or
 * extra fields; the suite compares plain objects with hex keys).
 */
import { test } from "vitest";
import type {
  DocumentLogEntry,
  IndexEntry,
  IndexScanEntry,
  KeyInterval,
  Order,
  Persistence,
  PersistenceReader,
  Timestamp,
} from "./persistence.js";

/** What a suite needs from a driver: a fresh, empty persistence that cleans up when disposed. */
export type PersistenceFactory = () => Promise<Persistence & AsyncDisposable>;

/** Tests a driver cannot pass yet, with the reason (Hono's `runTest({ skip })`). */
export interface PersistenceSuiteSkip {
  readonly reason: string;
  readonly tests: readonly string[];
}

/** Runs `use` with a fresh persistence and disposes it afterwards. */
export type WithPersistence = (
  use: (p: Persistence) => Promise<void>,
) => Promise<void>;

/** What each topic suite receives. */
export interface SuiteContext {
  /** Declares a test that runs with a fresh persistence, unless it is in the skip list. */
  readonly test: (
    name: string,
    fn: (p: Persistence) => Promise<void>,
    timeoutMs?: number,
  ) => void;
  /** Declares a test that makes its own persistences (e.g. one per property run). */
  readonly testFresh: (
    name: string,
    fn: (fresh: WithPersistence) => Promise<void>,
    timeoutMs?: number,
  ) => void;
}

/** Builds the {@link SuiteContext} for one driver. */
export function createSuiteContext(
  create: PersistenceFactory,
  skip: readonly PersistenceSuiteSkip[],
): SuiteContext {
  const skipped = new Set(skip.flatMap((s) => s.tests));
  const fresh: WithPersistence = (use) => withPersistence(create, use);
  const declare = (
    name: string,
    fn: () => Promise<void>,
    timeoutMs?: number,
  ) => {
    if (skipped.has(name)) test.skip(name, () => {});
    else test(name, fn, timeoutMs);
  };
  return {
    test: (name, fn, timeoutMs) => declare(name, () => fresh(fn), timeoutMs),
    testFresh: (name, fn, timeoutMs) =>
      declare(name, () => fn(fresh), timeoutMs),
  };
}

async function withPersistence(
  create: PersistenceFactory,
  fn: (p: Persistence) => Promise<void>,
): Promise<void> {
  const p = await create();
  try {
    await fn(p);
  } finally {
    await p[Symbol.asyncDispose]();
  }
}

/** A document revision; `value` is an object serialised to JSON text, or null for a tombstone. */
export function doc(
  tableId: string,
  id: string,
  ts: Timestamp,
  value: unknown,
  prevTs: Timestamp | null = null,
): DocumentLogEntry {
  return {
    tableId,
    id,
    ts,
    value: value === null ? null : JSON.stringify(value),
    prevTs,
  };
}

/** An index entry revision. */
export function entry(
  indexId: string,
  key: Uint8Array,
  ts: Timestamp,
  deleted: boolean,
  tableId: string,
  docId: string,
): IndexEntry {
  return { indexId, key, ts, deleted, tableId, docId };
}

/** A byte string from its bytes. */
export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** A byte string as lower-case hex, for comparisons and readable failures. */
export function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString(
    "hex",
  );
}

/** Drains an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export interface PlainDocument {
  tableId: string;
  id: string;
  ts: Timestamp;
  value: string | null;
  prevTs: Timestamp | null;
}

export interface PlainScanEntry {
  key: string;
  ts: Timestamp;
  document: PlainDocument;
}

/** Keeps only the contract's fields, so drivers that add fields still compare equal. */
export function plainDoc(d: DocumentLogEntry): PlainDocument;
export function plainDoc(d: DocumentLogEntry | null): PlainDocument | null;
export function plainDoc(d: DocumentLogEntry | null): PlainDocument | null {
  if (d === null) return null;
  return {
    tableId: d.tableId,
    id: d.id,
    ts: d.ts,
    value: d.value,
    prevTs: d.prevTs,
  };
}

export function plainScanEntry(e: IndexScanEntry): PlainScanEntry {
  return { key: hex(e.key), ts: e.ts, document: plainDoc(e.document) };
}

/** Runs an index scan and normalises its result. */
export async function scan(
  reader: PersistenceReader,
  indexId: string,
  readTs: Timestamp,
  interval: KeyInterval,
  order: Order = "asc",
  limit?: number,
): Promise<PlainScanEntry[]> {
  const entries =
    limit === undefined
      ? reader.indexScan(indexId, readTs, interval, order)
      : reader.indexScan(indexId, readTs, interval, order, limit);
  return (await collect(entries)).map(plainScanEntry);
}

/** Hex keys of a scan, the most common assertion. */
export async function scanKeys(
  reader: PersistenceReader,
  indexId: string,
  readTs: Timestamp,
  interval: KeyInterval,
  order: Order = "asc",
  limit?: number,
): Promise<string[]> {
  return (await scan(reader, indexId, readTs, interval, order, limit)).map(
    (e) => e.key,
  );
}

/** The whole key space. */
export const ALL: KeyInterval = { start: new Uint8Array(0), end: null };

/** Loads documents and normalises them. */
export async function load(
  reader: PersistenceReader,
  start: Timestamp,
  end: Timestamp | null,
  order: Order = "asc",
): Promise<PlainDocument[]> {
  return (await collect(reader.loadDocuments({ start, end }, order))).map((d) =>
    plainDoc(d),
  );
}

/**
 * Writes one document revision together with its entry in `indexId` under `key` (the shape the
 * engine writes: the entry's ts equals the revision's ts). A null `value` writes a tombstone
 * document and a deleted index entry.
 */
export async function writeIndexed(
  p: Persistence,
  indexId: string,
  key: Uint8Array,
  document: DocumentLogEntry,
): Promise<void> {
  await p.write(
    {
      documents: [document],
      indexes: [
        entry(
          indexId,
          key,
          document.ts,
          document.value === null,
          document.tableId,
          document.id,
        ),
      ],
    },
    "Error",
  );
}
