import { createPostgresPersistence } from "../../storage/postgres/postgres-persistence.js";
import { createTestDatabase } from "../../storage/postgres/test-database.js";
import { Database } from "../database.js";
import { runQueryDifferentialSuite } from "./query-differential.suite.js";

runQueryDifferentialSuite("postgres", async () => {
  const pgDatabase = await createTestDatabase();
  const persistence = await createPostgresPersistence({
    url: pgDatabase.url,
    maxConnections: 4,
  });
  const database = await Database.open({ persistence });
  return {
    database,
    async [Symbol.asyncDispose]() {
      await database.close();
      await persistence.close();
      await pgDatabase[Symbol.asyncDispose]();
    },
  };
});
