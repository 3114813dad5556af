import { runEngineSuite } from "./engine.suite.js";
import { createTestDatabase } from "./testing/test-database.js";

runEngineSuite("memory", (options) => createTestDatabase("memory", options));
