import { runEngineSuite } from "./engine.suite.js";

runEngineSuite("memory");
