import { runEngineSuite } from "./engine.suite.js";
import { createTestDatabase } from "./testing/test-database.js";

runEngineSuite("sqlite", (options) => createTestDatabase("sqlite", options));
