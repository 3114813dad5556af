import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPersistenceSuite } from "../persistence.suite.js";
import { SqlitePersistence } from "./sqlite-persistence.js";

runPersistenceSuite({
  name: "SqlitePersistence",
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), "hull-sqlite-"));
    const p = SqlitePersistence.open({ path: join(dir, "db.sqlite3") });
    return Promise.resolve(
      Object.assign(p, {
        [Symbol.asyncDispose]: async () => {
          await p.close();
          rmSync(dir, { recursive: true, force: true });
        },
      }),
    );
  },
});
