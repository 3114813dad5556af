import { runEngineSuite } from "./engine.suite.js";

runEngineSuite("sqlite");
