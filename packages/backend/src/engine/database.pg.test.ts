import { createPostgresPersistence } from "../storage/postgres/postgres-persistence.js";
import { createTestDatabase } from "../storage/postgres/test-database.js";
import { runEngineSuite } from "./engine.suite.js";
import {
  createEngineFixture,
  type TestDatabaseOptions,
} from "./testing/test-database.js";

runEngineSuite("postgres", async (options?: TestDatabaseOptions) => {
  const pg = await createTestDatabase();
  return createEngineFixture(
    "postgres",
    {
      open: () => createPostgresPersistence({ url: pg.url, maxConnections: 4 }),
      volatile: false,
      remove: async () => {
        await pg[Symbol.asyncDispose]();
      },
    },
    options,
  );
});
