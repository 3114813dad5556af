/**
 * `synchronous: "full"` without blocking the event loop. With `PRAGMA synchronous=FULL` SQLite
 * fsyncs the WAL inside every commit, and better-sqlite3 runs commits on the calling thread, so
 * the whole process (HTTP, sockets, sandbox workers' syscalls) stops for every fsync, and commits
 * that would have joined the next group cannot even be produced meanwhile.
 *
 * Instead the connection runs with `synchronous=NORMAL` (a commit appends its frames to the WAL
 * with `write()` and does not sync; checkpoints still sync the WAL before and the database file
 * after) and `WalSync` fdatasyncs the WAL file on libuv's thread pool before a write is
 * acknowledged. `FULL` in WAL mode is exactly `NORMAL` plus a WAL sync after each commit, so an
 * acknowledged write is as durable as with `FULL`; only the thread doing the sync differs.
 *
 * fsync on Linux flushes the file (inode), whichever descriptor it is called on. The WAL file
 * lives as long as the connection (SQLite deletes it when the last connection closes), and
 * checkpoints truncate or rewrite it in place. The directory is synced once, at the first sync,
 * so a freshly created WAL file's name is durable too (SQLite would do that on its first sync).
 */
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

const noop = (): void => {};

export class WalSync {
  readonly #walPath: string;
  #file: Promise<FileHandle> | null = null;
  /** The sync in flight. */
  #running: Promise<void> | null = null;
  /** The sync that starts once the running one ends; shared by every caller meanwhile. */
  #queued: Promise<void> | null = null;
  /** Set by the first failed sync: later syncs fail too (the OS may have dropped dirty pages). */
  #failure: Error | null = null;

  /** `databasePath`: the SQLite database file; its WAL is `<databasePath>-wal`. */
  constructor(databasePath: string) {
    this.#walPath = `${databasePath}-wal`;
  }

  /**
   * Resolves once everything written to the WAL before the call is on disk. Calls while a sync
   * runs share the next one. Rejects when a sync failed, now or earlier.
   */
  sync(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#running === null) return this.#start();
    if (this.#queued === null) {
      const queued = this.#running.catch(noop).then(() => {
        this.#queued = null;
        return this.#start();
      });
      this.#queued = queued;
    }
    return this.#queued;
  }

  /** Waits for the syncs in flight, then closes the WAL file descriptor. */
  async close(): Promise<void> {
    await this.#queued?.catch(noop);
    await this.#running?.catch(noop);
    const file = this.#file;
    this.#file = null;
    if (file !== null) await (await file.catch(() => null))?.close();
  }

  #start(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const running: Promise<void> = this.#datasync().then(
      () => {
        if (this.#running === running) this.#running = null;
      },
      (error: unknown) => {
        this.#failure ??=
          error instanceof Error ? error : new Error(String(error));
        if (this.#running === running) this.#running = null;
        throw error;
      },
    );
    this.#running = running;
    return running;
  }

  async #datasync(): Promise<void> {
    if (this.#file === null) {
      this.#file = open(this.#walPath, "r");
      await this.#file;
      await syncDirectory(dirname(this.#walPath));
    }
    await (await this.#file).datasync();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
