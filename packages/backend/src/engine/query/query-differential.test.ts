import {
  createTestDatabase,
  PERSISTENCE_KINDS,
} from "../testing/test-database.js";
import { runQueryDifferentialSuite } from "./query-differential.suite.js";

for (const kind of PERSISTENCE_KINDS) {
  runQueryDifferentialSuite(kind, () => createTestDatabase(kind));
}
