import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import { createTestDatabase } from "../storage/postgres/test-database.js";
import { openDeploymentStorage } from "./deployment-storage.js";

describe("openDeploymentStorage on PostgreSQL", () => {
  test("processes with different data directories share credentials and modules", async () => {
    await using pg = await createTestDatabase();
    const dirs = [
      await mkdtemp(path.join(tmpdir(), "hull-a-")),
      await mkdtemp(path.join(tmpdir(), "hull-b-")),
    ];
    try {
      const [a, b] = await Promise.all(
        dirs.map((dataDir) =>
          openDeploymentStorage({
            dataDir,
            databaseUrl: pg.url,
            logger: silentLogger,
          }),
        ),
      );
      expect(a!.shared).toBe(true);
      const credentials = await a!.credentials({ instanceName: "shared-app" });
      expect(await b!.credentials({})).toEqual(credentials);
      const sha = await a!.moduleStore.put({ source: "export default 1;" });
      expect(await b!.moduleStore.get(sha)).toEqual({
        source: "export default 1;",
      });
      await a!.close();
      await b!.close();
    } finally {
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  });
});
