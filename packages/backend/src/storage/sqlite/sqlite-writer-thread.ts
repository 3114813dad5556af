/**
 * The SQLite writer thread: applies the writes of every `SqlitePersistence` of the process
 * (commit groups, globals, retention deletes), each database on its own connection, one request
 * at a time in arrival order, and answers each once it is durable. With `syncWal` the WAL
 * fdatasync runs on the thread pool while the next request is applied, so a group is written
 * while the previous one syncs.
 */
import { parentPort } from "node:worker_threads";
import { openSqliteConnection } from "./sqlite-connection.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import { SqlitePruner } from "./sqlite-pruner.js";
import { SqliteWriteStatements } from "./sqlite-statements.js";
import type {
  PackedWrite,
  WriterOperation,
  WriterRequest,
  WriterResponse,
} from "./sqlite-writer-protocol.js";
import { WalSync } from "./wal-sync.js";

/** One database's writing connection. */
class WriterConnection {
  readonly #db: SqliteDatabase;
  readonly #statements: SqliteWriteStatements;
  readonly #pruner: SqlitePruner;
  readonly #walSync: WalSync | null;
  readonly #writeRows: (rows: PackedWrite, overwrite: boolean) => void;
  #closed = false;

  constructor(path: string, syncWal: boolean) {
    this.#db = openSqliteConnection(path);
    this.#statements = new SqliteWriteStatements(this.#db);
    this.#pruner = new SqlitePruner(this.#db);
    this.#walSync = syncWal ? new WalSync(path) : null;
    this.#writeRows = this.#db.transaction(
      (rows: PackedWrite, overwrite: boolean) => this.#insert(rows, overwrite),
    );
  }

  /** Applies `operation` now (synchronously, before the next message); resolves once durable. */
  apply(operation: WriterOperation): Promise<unknown> {
    this.#assertOpen();
    switch (operation.op) {
      case "open":
        throw new Error("The database is already open");
      case "write":
        this.#writeRows(operation.rows, operation.overwrite);
        return this.#durable();
      case "writeGlobal":
        this.#statements.putGlobal.run(operation.key, operation.json);
        return this.#durable();
      case "prune":
        return this.#pruner.prune(operation.bound, () => this.#assertOpen());
      case "close":
        this.#closed = true;
        return this.#close();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("SqlitePersistence is closed");
  }

  async #durable(): Promise<undefined> {
    await this.#walSync?.sync();
    return undefined;
  }

  async #close(): Promise<void> {
    await this.#walSync?.close();
    this.#db.close();
  }

  #insert(rows: PackedWrite, overwrite: boolean): void {
    const s = this.#statements;
    const documents = overwrite ? s.replaceDocument : s.insertDocument;
    for (let i = 0; i < rows.docIds.length; i++) {
      const prevTs = rows.docPrevTs[i]!;
      const value = rows.docValues[i]!;
      documents.run(
        rows.docTableIds[i],
        rows.docIds[i],
        rows.docTs[i],
        prevTs < 0n ? null : prevTs,
        value === null ? 1 : 0,
        value,
      );
    }
    const indexes = overwrite ? s.replaceIndexEntry : s.insertIndexEntry;
    const keys = Buffer.from(
      rows.keys.buffer,
      rows.keys.byteOffset,
      rows.keys.byteLength,
    );
    let start = 0;
    for (let i = 0; i < rows.indexIds.length; i++) {
      const end = rows.keyEnds[i]!;
      indexes.run(
        rows.indexIds[i],
        keys.subarray(start, end),
        rows.indexTs[i],
        rows.indexDeleted[i],
        rows.indexTableIds[i],
        rows.indexDocIds[i],
      );
      start = end;
    }
  }
}

const port = parentPort!;
/** Open databases, and the reason of each that failed to open (later requests fail with it). */
const connections = new Map<number, WriterConnection | Error>();

function apply(request: WriterRequest): Promise<unknown> {
  if (request.op === "open") {
    try {
      connections.set(
        request.db,
        new WriterConnection(request.path, request.syncWal),
      );
    } catch (e) {
      connections.set(
        request.db,
        e instanceof Error ? e : new Error(String(e)),
      );
      throw e;
    }
    return Promise.resolve(undefined);
  }
  const connection = connections.get(request.db);
  if (connection === undefined) throw new Error("SqlitePersistence is closed");
  if (request.op === "close") connections.delete(request.db);
  if (connection instanceof Error) {
    if (request.op === "close") return Promise.resolve(undefined);
    throw connection;
  }
  return connection.apply(request);
}

function isPrimaryKeyViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    code === "SQLITE_CONSTRAINT_UNIQUE"
  );
}

port.on("message", (request: WriterRequest) => {
  let settled: Promise<unknown>;
  try {
    settled = apply(request);
  } catch (e) {
    settled = Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  settled.then(
    (result) => {
      const response: WriterResponse = { id: request.id, ok: true, result };
      port.postMessage(response);
    },
    (e: unknown) => {
      const response: WriterResponse = {
        id: request.id,
        ok: false,
        message: e instanceof Error ? e.message : String(e),
        conflict: isPrimaryKeyViolation(e),
      };
      port.postMessage(response);
    },
  );
});
