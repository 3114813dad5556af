/**
 * The writer thread seen from a `SqlitePersistence`. Every write goes to one worker thread per
 * process (`sqlite-writer-thread.ts`, started with the first database and shared by all), which
 * holds a writing connection per database, so inserting rows, appending WAL frames,
 * checkpointing and retention deletes never run on the event loop, which is left to run
 * transactions, functions and sockets. Requests are answered in order, each once durable.
 *
 * The thread keeps the process alive only while requests are outstanding. If it dies, every
 * outstanding request fails, and so does everything later on the databases it held.
 */
import type { Worker } from "node:worker_threads";
import { startWorkerThread } from "../../shared/worker-thread.js";
import type { PersistenceWrite } from "../persistence.js";
import {
  packWrite,
  type WriterOperation,
  type WriterRequest,
  type WriterResponse,
} from "./sqlite-writer-protocol.js";

/** A failed request: the thread's message, and whether a written row already existed. */
export class SqliteWriterError extends Error {
  override readonly name = "SqliteWriterError";
  readonly conflict: boolean;

  constructor(message: string, conflict: boolean) {
    super(message);
    this.conflict = conflict;
  }
}

interface Outstanding {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** The process's writer thread and its outstanding requests. */
class WriterThread {
  readonly #worker: Worker;
  readonly #outstanding = new Map<number, Outstanding>();
  #nextId = 1;
  #failure: Error | null = null;

  constructor() {
    this.#worker = startWorkerThread(
      import.meta.url,
      "./sqlite-writer-thread",
      {},
    );
    this.#worker.unref();
    this.#worker.on("message", (response: WriterResponse) =>
      this.#answer(response),
    );
    this.#worker.on("error", (error) => this.#fail(error));
    this.#worker.on("exit", (code) =>
      this.#fail(new Error(`The SQLite writer thread exited (code ${code})`)),
    );
  }

  /** Whether the thread died (a new database needs a new thread). */
  get failed(): boolean {
    return this.#failure !== null;
  }

  request(db: number, operation: WriterOperation): Promise<unknown> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#outstanding.size === 0) this.#worker.ref();
      this.#outstanding.set(id, { resolve, reject });
      const request: WriterRequest = { ...operation, id, db };
      this.#worker.postMessage(request);
    });
  }

  #answer(response: WriterResponse): void {
    const outstanding = this.#outstanding.get(response.id);
    if (outstanding === undefined) return;
    this.#outstanding.delete(response.id);
    if (this.#outstanding.size === 0) this.#worker.unref();
    if (response.ok) outstanding.resolve(response.result);
    else
      outstanding.reject(
        new SqliteWriterError(response.message, response.conflict),
      );
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const outstanding of this.#outstanding.values())
      outstanding.reject(this.#failure);
    this.#outstanding.clear();
    this.#worker.unref();
  }
}

let thread: WriterThread | null = null;
let nextDatabase = 1;

/** One database's writes, on the process's writer thread. */
export class SqliteWriter {
  readonly #thread: WriterThread;
  readonly #db = nextDatabase++;
  #closed: Promise<void> | null = null;

  /**
   * Opens the writing connection of `path` (the caller has created and migrated the database).
   * `syncWal`: fdatasync the WAL before each write is acknowledged. An open failure fails every
   * request.
   */
  constructor(path: string, syncWal: boolean) {
    if (thread === null || thread.failed) thread = new WriterThread();
    this.#thread = thread;
    this.#thread
      .request(this.#db, { op: "open", path, syncWal })
      .catch(() => {});
  }

  write(write: PersistenceWrite, overwrite: boolean): Promise<void> {
    return this.#thread.request(this.#db, {
      op: "write",
      rows: packWrite(write),
      overwrite,
    }) as Promise<void>;
  }

  writeGlobal(key: string, json: string): Promise<void> {
    return this.#thread.request(this.#db, {
      op: "writeGlobal",
      key,
      json,
    }) as Promise<void>;
  }

  prune(bound: bigint): Promise<{ documents: number; indexes: number }> {
    return this.#thread.request(this.#db, { op: "prune", bound }) as Promise<{
      documents: number;
      indexes: number;
    }>;
  }

  /** Waits for the outstanding requests, then closes the writing connection. */
  close(): Promise<void> {
    this.#closed ??= this.#thread.request(this.#db, { op: "close" }).then(
      () => {},
      () => {},
    );
    return this.#closed;
  }
}
