/**
 * Messages between `SqlitePersistence`s and the process's SQLite writer thread
 * (`sqlite-writer-thread.ts`). Every request names its database by the number its `open` gave.
 *
 * A commit group travels as a {@link PackedWrite}: columns of primitives and typed arrays, with
 * every index key in one buffer. Cloning that costs a few copies, where cloning the rows as
 * objects would clone each key's whole backing buffer and allocate per row.
 */
import type { PersistenceWrite } from "../persistence.js";

/** A commit group's rows as columns. `docPrevTs` holds -1 for a missing previous revision. */
export interface PackedWrite {
  readonly docTableIds: string[];
  readonly docIds: string[];
  readonly docTs: BigInt64Array;
  readonly docPrevTs: BigInt64Array;
  readonly docValues: (string | null)[];
  readonly indexIds: string[];
  /** Every key, concatenated; key `i` ends at `keyEnds[i]`. */
  readonly keys: Uint8Array;
  readonly keyEnds: Uint32Array;
  readonly indexTs: BigInt64Array;
  readonly indexDeleted: Uint8Array;
  readonly indexTableIds: string[];
  readonly indexDocIds: string[];
}

/** A request without its routing fields. */
export type WriterOperation =
  | {
      readonly op: "open";
      readonly path: string;
      /** Whether to fdatasync the WAL before acknowledging each write (`synchronous: "full"`). */
      readonly syncWal: boolean;
    }
  | {
      readonly op: "write";
      readonly rows: PackedWrite;
      /** `Overwrite`: replace existing rows instead of failing on them. */
      readonly overwrite: boolean;
    }
  | { readonly op: "writeGlobal"; readonly key: string; readonly json: string }
  | { readonly op: "prune"; readonly bound: bigint }
  | { readonly op: "close" };

export type WriterRequest = WriterOperation & {
  /** Answers carry it back. */
  readonly id: number;
  /** The database, numbered by the host when it sent `open`. */
  readonly db: number;
};

export type WriterResponse =
  | { readonly id: number; readonly ok: true; readonly result?: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      /** The write failed because a row already exists (`PersistenceConflict`). */
      readonly conflict: boolean;
    };

/** Packs `write` for the thread. */
export function packWrite(write: PersistenceWrite): PackedWrite {
  const { documents, indexes } = write;
  const docTs = new BigInt64Array(documents.length);
  const docPrevTs = new BigInt64Array(documents.length);
  documents.forEach((d, i) => {
    docTs[i] = d.ts;
    docPrevTs[i] = d.prevTs ?? -1n;
  });
  let keyBytes = 0;
  for (const e of indexes) keyBytes += e.key.byteLength;
  const keys = new Uint8Array(keyBytes);
  const keyEnds = new Uint32Array(indexes.length);
  const indexTs = new BigInt64Array(indexes.length);
  const indexDeleted = new Uint8Array(indexes.length);
  let offset = 0;
  indexes.forEach((e, i) => {
    keys.set(e.key, offset);
    offset += e.key.byteLength;
    keyEnds[i] = offset;
    indexTs[i] = e.ts;
    indexDeleted[i] = e.deleted ? 1 : 0;
  });
  return {
    docTableIds: documents.map((d) => d.tableId),
    docIds: documents.map((d) => d.id),
    docTs,
    docPrevTs,
    docValues: documents.map((d) => d.value),
    indexIds: indexes.map((e) => e.indexId),
    keys,
    keyEnds,
    indexTs,
    indexDeleted,
    indexTableIds: indexes.map((e) => e.tableId),
    indexDocIds: indexes.map((e) => e.docId),
  };
}
