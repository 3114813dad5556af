/**
 * `_mutation_requests`: one document per mutation the sync protocol ran, keyed by the client's
 * (session, request id), written in the mutation's own transaction. A client that reconnects
 * (to this process after a restart, or to another one) and resends an in-flight mutation gets
 * the recorded outcome instead of a second execution.
 *
 * The document's internal id is derived from the key (see `internalIdOf`), so looking a key up
 * is a point read: it conflicts only with a concurrent delivery of the same key, never with
 * other mutations.
 */
import { createHash } from "node:crypto";
import type { Database } from "../engine/database.js";
import type { Transaction } from "../engine/transaction.js";
import { encodeId } from "../values/id.js";
import type { JsonValue } from "../values/value.js";

/** The system table of recorded mutations. */
export const MUTATION_REQUESTS_TABLE = "_mutation_requests";
/** Records are kept this long: far past any client's reconnect-and-resend. */
export const MUTATION_RECORD_RETENTION_MS = 10 * 60 * 1000;

/** Identifies one mutation request of one client session (and principal). */
export interface MutationRecordKey {
  readonly sessionId: string;
  readonly requestId: number;
}

/** What a successful mutation returned; replayed to a resend. */
export interface RecordedMutation {
  readonly value: JsonValue;
}

/**
 * The 16-byte internal id of `key`'s record: 8 bytes of a SHA-256 of the session id, then the
 * request id as a big-endian u64 (or, for a request id that is not a non-negative integer, 8 more
 * bytes of a hash). A session's records therefore sit side by side in request order, so each
 * new one lands next to the last instead of at a random place in the table's b-trees, which
 * dirties fewer pages per commit.
 */
function internalIdOf(key: MutationRecordKey): Uint8Array {
  const id = new Uint8Array(16);
  id.set(sha256(key.sessionId).subarray(0, 8));
  if (Number.isSafeInteger(key.requestId) && key.requestId >= 0) {
    new DataView(id.buffer).setBigUint64(8, BigInt(key.requestId));
  } else {
    id.set(sha256(JSON.stringify(key.requestId)).subarray(0, 8), 8);
  }
  return id;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The recorded outcome of `key` at `tx`'s snapshot, or null. A point read (or, before the table
 * exists, a read of its existence), so a concurrent record of the same key conflicts with `tx`.
 */
export async function findMutationRecord(
  tx: Transaction,
  key: MutationRecordKey,
): Promise<RecordedMutation | null> {
  const table = tx.catalog.tableByName(MUTATION_REQUESTS_TABLE);
  if (table === undefined || table.docId === null) {
    tx.recordTableRead(MUTATION_REQUESTS_TABLE);
    return null;
  }
  const doc = await tx.get(encodeId(table.number, internalIdOf(key)), {
    isSystem: true,
  });
  if (doc === null) return null;
  // Guards against a hash collision of two keys: such a record is someone else's.
  if (doc["sessionId"] !== key.sessionId || doc["requestId"] !== key.requestId)
    return null;
  const result = doc["result"];
  if (typeof result !== "string") return null;
  return { value: JSON.parse(result) as JsonValue };
}

/** Records `key`'s outcome in `tx` (the mutation's own transaction). Throws when it exists. */
export async function recordMutation(
  tx: Transaction,
  key: MutationRecordKey,
  outcome: RecordedMutation,
): Promise<void> {
  await tx.insert(
    MUTATION_REQUESTS_TABLE,
    {
      sessionId: key.sessionId,
      requestId: key.requestId,
      result: JSON.stringify(outcome.value),
    },
    { isSystem: true, internalId: internalIdOf(key) },
  );
}

/** Ids of records created before `beforeMs`, oldest first (a whole-table scan in `tx`). */
export async function mutationRecordsBefore(
  tx: Transaction,
  beforeMs: number,
): Promise<string[]> {
  const stream = tx.query({
    source: {
      type: "FullTableScan",
      tableName: MUTATION_REQUESTS_TABLE,
      order: "asc",
    },
    operators: [],
  });
  const ids: string[] = [];
  try {
    for (
      let doc = await stream.next();
      doc !== null && doc._creationTime < beforeMs;
      doc = await stream.next()
    ) {
      ids.push(doc._id);
    }
  } finally {
    stream.close();
  }
  return ids;
}

/** Deletes records by id in `tx` (ids of `mutationRecordsBefore`). */
export async function deleteMutationRecords(
  tx: Transaction,
  ids: readonly string[],
): Promise<void> {
  for (const id of ids)
    await tx.delete(id, { table: MUTATION_REQUESTS_TABLE, isSystem: true });
}

const DELETE_BATCH = 1000;
/** Sweeps read the whole table: the user-facing read limits do not apply. */
const SWEEP_LIMITS = {
  maxDocumentsRead: Number.POSITIVE_INFINITY,
  maxBytesRead: Number.POSITIVE_INFINITY,
};

/** The records over one database, shaped as the sync layer's `SyncMutationRecords` port. */
export class MutationRecords {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  /** The recorded result of `key` at the latest snapshot, or null. */
  async find(key: MutationRecordKey): Promise<RecordedMutation | null> {
    const tx = this.#database.begin();
    try {
      return await findMutationRecord(tx, key);
    } finally {
      tx.close();
    }
  }

  /** Records `key` in `tx`, the mutation's own transaction; throws when it is recorded. */
  record(
    tx: Transaction,
    key: MutationRecordKey,
    outcome: RecordedMutation,
  ): Promise<void> {
    return recordMutation(tx, key, outcome);
  }

  /** Deletes the records created before `beforeMs`; resolves with how many. */
  async deleteBefore(beforeMs: number): Promise<number> {
    const tx = this.#database.begin({ limits: SWEEP_LIMITS });
    const ids = await mutationRecordsBefore(tx, beforeMs).finally(() =>
      tx.close(),
    );
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const batch = ids.slice(i, i + DELETE_BATCH);
      await this.#database.runInTransaction((t) =>
        deleteMutationRecords(t, batch),
      );
    }
    return ids.length;
  }
}
