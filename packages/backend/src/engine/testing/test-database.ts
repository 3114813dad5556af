/**
 * Test fixture: a `Database` over a fresh memory or SQLite persistence (SQLite in a temp dir,
 * removed on dispose), with `reopen` to simulate a restart over the same storage. Shared by the
 * engine suites, the query layer's tests and later layers.
 *
 * @example
 * await using fixture = await createTestDatabase("sqlite");
 * await fixture.database.runInTransaction((tx) => tx.insert("messages", { body: "hi" }));
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Persistence } from "../../storage/persistence.js";
import { MemoryPersistence } from "../../storage/memory/memory-persistence.js";
import { SqlitePersistence } from "../../storage/sqlite/sqlite-persistence.js";
import { Database, type DatabaseOptions } from "../database.js";

export type PersistenceKind = "memory" | "sqlite";

export const PERSISTENCE_KINDS: readonly PersistenceKind[] = [
  "memory",
  "sqlite",
];

export type TestDatabaseOptions = Partial<Omit<DatabaseOptions, "persistence">>;

export interface EngineFixture extends AsyncDisposable {
  /** The persistence's name (`memory`, `sqlite`, or what `createEngineFixture` was given). */
  readonly kind: string;
  /** The current database (replaced by `reopen`). */
  readonly database: Database;
  readonly persistence: Persistence;
  /**
   * Closes the database (and for SQLite the file) and opens a new one over the same storage,
   * as a process restart would. `options` replace the creation options when given.
   */
  reopen(options?: TestDatabaseOptions): Promise<Database>;
}

/** Where a fixture's data lives, for `createEngineFixture`. */
export interface TestStorage {
  /** Opens a persistence over the storage (again after a `reopen`). */
  open(): Promise<Persistence>;
  /** Whether `close()` loses the data (memory): then reopen reuses the live instance. */
  readonly volatile: boolean;
  /** Removes the storage after the last close. */
  remove(): void | Promise<void>;
}

function storageFor(kind: PersistenceKind): TestStorage {
  if (kind === "memory") {
    const persistence = new MemoryPersistence();
    return {
      open: () => Promise.resolve(persistence),
      volatile: true,
      remove: () => {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "hull-engine-"));
  return {
    open: () =>
      Promise.resolve(
        SqlitePersistence.open({ path: join(dir, "db.sqlite3") }),
      ),
    volatile: false,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A database over a fresh persistence of `kind`. Dispose it to close and clean up. */
export function createTestDatabase(
  kind: PersistenceKind,
  options: TestDatabaseOptions = {},
): Promise<EngineFixture> {
  return createEngineFixture(kind, storageFor(kind), options);
}

/** A database over `storage` (any persistence, e.g. PostgreSQL in `*.pg.test.ts` files). */
export async function createEngineFixture(
  kind: string,
  storage: TestStorage,
  options: TestDatabaseOptions = {},
): Promise<EngineFixture> {
  let persistence = await storage.open();
  let database = await Database.open({ ...options, persistence });
  const closeAll = async (): Promise<void> => {
    await database.close();
    if (!storage.volatile) await persistence.close();
  };
  return {
    kind,
    get database() {
      return database;
    },
    get persistence() {
      return persistence;
    },
    async reopen(next = options) {
      await closeAll();
      persistence = await storage.open();
      database = await Database.open({ ...next, persistence });
      return database;
    },
    async [Symbol.asyncDispose]() {
      await closeAll();
      if (storage.volatile) await persistence.close();
      await storage.remove();
    },
  };
}
