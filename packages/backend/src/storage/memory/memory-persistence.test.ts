import { runPersistenceSuite } from "../persistence.suite.js";
import { MemoryPersistence } from "./memory-persistence.js";

runPersistenceSuite({
  name: "MemoryPersistence",
  create: () => {
    const p = new MemoryPersistence();
    return Promise.resolve(
      Object.assign(p, { [Symbol.asyncDispose]: () => p.close() }),
    );
  },
});
