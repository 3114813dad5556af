/**
 * Test support: an `IndexReader` over in-memory arrays of documents, with the standard indexes
 * (`by_id`, `by_creation_time`) and user indexes whose keys are built with `encodeIndexKey`
 * exactly as the contract in `index-reader.ts` describes. It records every scan it opens so tests
 * can check intervals and cleanup. Not a model of transactions: no read sets, no limits.
 */
import type { KeyInterval, Order } from "../../storage/persistence.js";
import { compareKeys, encodeIndexKey } from "../../values/index-key.js";
import { convexToJson } from "../../values/json.js";
import type { Document } from "../../values/value.js";
import { getFieldValue, parseFieldPath } from "./field-path.js";
import type {
  IndexReader,
  IndexScanItem,
  IndexScanIterator,
  ResolvedIndex,
  ResolvedSearchIndex,
  ResolvedVectorIndex,
} from "./index-reader.js";

export interface ArrayTable {
  readonly name: string;
  /** User indexes by name: their user fields (the `_creationTime`, `_id` suffix is implied). */
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
  readonly searchIndexes?: Readonly<
    Record<string, Omit<ResolvedSearchIndex, "tableName" | "indexName">>
  >;
  readonly vectorIndexes?: Readonly<
    Record<string, Omit<ResolvedVectorIndex, "tableName" | "indexName">>
  >;
  readonly documents: readonly Document[];
}

/** One `scan` call, as recorded. */
export interface RecordedScan {
  readonly index: ResolvedIndex;
  readonly interval: KeyInterval;
  readonly order: Order;
  yielded: number;
  returned: boolean;
}

export interface ArrayIndexReader extends IndexReader {
  readonly scans: RecordedScan[];
  /** Documents read through `readDocument`. */
  readonly counted: { reads: number };
}

/** The full key fields of an index with these user fields. */
export function indexFields(userFields: readonly string[]): string[] {
  return [...userFields, "_creationTime", "_id"];
}

/** The index key of `document` over `fields`. */
export function documentKey(
  document: Document,
  fields: readonly string[],
): Uint8Array {
  return encodeIndexKey(
    fields.map((field) => getFieldValue(document, parseFieldPath(field))),
  );
}

/** A size that grows with the document, standing in for Convex's byte accounting. */
export function documentSize(document: Document): number {
  return JSON.stringify(convexToJson(document)).length;
}

export function createArrayIndexReader(
  tables: readonly ArrayTable[],
): ArrayIndexReader {
  const scans: RecordedScan[] = [];
  const byName = new Map(tables.map((table) => [table.name, table]));
  const counted = { reads: 0 };
  return {
    scans,
    counted,
    resolveSearchIndex(tableName, indexName) {
      const index = byName.get(tableName)?.searchIndexes?.[indexName];
      return index === undefined ? null : { tableName, indexName, ...index };
    },
    resolveVectorIndex(tableName, indexName) {
      const index = byName.get(tableName)?.vectorIndexes?.[indexName];
      return index === undefined ? null : { tableName, indexName, ...index };
    },
    projectTable(tableName, spec) {
      const documents = byName.get(tableName)?.documents ?? [];
      return Promise.resolve(
        documents.flatMap((document) => spec.derive(document) ?? []),
      );
    },
    readDocument(id) {
      const document = tables
        .flatMap((table) => table.documents)
        .find((d) => d._id === id);
      if (document === undefined) return Promise.resolve(null);
      counted.reads += 1;
      return Promise.resolve({ document, size: documentSize(document) });
    },
    resolveIndex(tableName, indexName) {
      const table = byName.get(tableName);
      const userFields =
        standardFields(indexName) ?? table?.indexes?.[indexName];
      if (userFields === undefined) return null;
      const fields = indexName === "by_id" ? ["_id"] : indexFields(userFields);
      return { id: `${tableName}.${indexName}`, tableName, indexName, fields };
    },
    scan(index, interval, order) {
      const documents = byName.get(index.tableName)?.documents ?? [];
      const items = documents
        .map((document) => ({
          key: documentKey(document, index.fields),
          document,
          size: documentSize(document),
        }))
        .filter(({ key }) => inInterval(key, interval))
        .sort((a, b) => compareKeys(a.key, b.key));
      if (order === "desc") items.reverse();
      const recorded: RecordedScan = {
        index,
        interval,
        order,
        yielded: 0,
        returned: false,
      };
      scans.push(recorded);
      return arrayIterator(items, recorded);
    },
  };
}

function standardFields(indexName: string): readonly string[] | undefined {
  if (indexName === "by_id") return [];
  if (indexName === "by_creation_time") return [];
  return undefined;
}

function inInterval(key: Uint8Array, interval: KeyInterval): boolean {
  return (
    compareKeys(key, interval.start) >= 0 &&
    (interval.end === null || compareKeys(key, interval.end) < 0)
  );
}

function arrayIterator(
  items: IndexScanItem[],
  recorded: RecordedScan,
): IndexScanIterator {
  let index = 0;
  const done = (): IteratorResult<IndexScanItem, undefined> => ({
    done: true,
    value: undefined,
  });
  return {
    next() {
      const item = recorded.returned ? undefined : items[index];
      if (item === undefined) return Promise.resolve(done());
      index += 1;
      recorded.yielded += 1;
      return Promise.resolve({ done: false, value: item });
    },
    return() {
      recorded.returned = true;
      return Promise.resolve(done());
    },
  };
}
