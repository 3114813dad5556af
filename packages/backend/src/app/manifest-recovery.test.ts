import { describe, expect, test } from "vitest";
import { createTestDatabase } from "../engine/testing/test-database.js";
import { silentLogger } from "../shared/logger.js";
import {
  ManifestStore,
  schemaOf,
  type AppManifest,
} from "./deployment-manifest.js";
import { isSchemaApplied, recoverManifest } from "./manifest-recovery.js";

function manifestWithIndex(indexName: string): AppManifest {
  return {
    modules: [],
    analysis: {
      modules: {},
      schema: {
        tables: [
          {
            tableName: "messages",
            indexes: [{ indexDescriptor: indexName, fields: ["author"] }],
            searchIndexes: [],
            vectorIndexes: [],
            documentType: { type: "any" },
          },
        ],
        schemaValidation: true,
      },
      crons: null,
      httpRoutes: null,
      authProviders: [],
    },
    udfServerVersion: "1.48.0",
  };
}

describe("recoverManifest", () => {
  test("without a pending push, the active manifest is used", async () => {
    await using fixture = await createTestDatabase("memory");
    const store = new ManifestStore(fixture.persistence);
    const active = manifestWithIndex("by_author");
    await store.save(active);
    expect(
      await recoverManifest(store, fixture.database.catalog, silentLogger),
    ).toEqual(active);
  });

  test("a pending push whose schema was applied is adopted", async () => {
    await using fixture = await createTestDatabase("memory");
    const store = new ManifestStore(fixture.persistence);
    const next = manifestWithIndex("by_author");
    await store.save(manifestWithIndex("old_index"));
    await store.savePending(next);
    await fixture.database.schema.apply(schemaOf(next));
    expect(isSchemaApplied(schemaOf(next), fixture.database.catalog)).toBe(
      true,
    );
    expect(
      await recoverManifest(store, fixture.database.catalog, silentLogger),
    ).toEqual(next);
    expect(await store.loadPending()).toBeNull();
  });

  test("a pending push whose schema was not applied is dropped", async () => {
    await using fixture = await createTestDatabase("memory");
    const store = new ManifestStore(fixture.persistence);
    const active = manifestWithIndex("by_author");
    await fixture.database.schema.apply(schemaOf(active));
    await store.save(active);
    await store.savePending(manifestWithIndex("by_other"));
    expect(
      await recoverManifest(store, fixture.database.catalog, silentLogger),
    ).toEqual(active);
    expect(await store.loadPending()).toBeNull();
  });
});
