import { runPersistenceSuite } from "../persistence.suite.js";
import {
  createPostgresPersistence,
  type PostgresPersistence,
} from "./postgres-persistence.js";
import { createTestDatabase } from "./test-database.js";

/** A fresh database with a persistence on it; disposing closes the pool and drops the database. */
async function createTestPostgresPersistence(): Promise<
  PostgresPersistence & AsyncDisposable
> {
  const database = await createTestDatabase();
  const persistence = await createPostgresPersistence({
    url: database.url,
    maxConnections: 4,
  });
  return Object.assign(persistence, {
    [Symbol.asyncDispose]: async () => {
      await persistence.close();
      await database[Symbol.asyncDispose]();
    },
  });
}

runPersistenceSuite({
  name: "PostgresPersistence",
  create: createTestPostgresPersistence,
});
