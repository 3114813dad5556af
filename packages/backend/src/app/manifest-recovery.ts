import type { Catalog } from "../engine/catalog.js";
import { planSchemaChanges } from "../engine/schema.js";
import type { SchemaDefinition } from "../engine/schema-definition.js";
import type { Logger } from "../shared/logger.js";
import {
  schemaOf,
  type AppManifest,
  type ManifestStore,
} from "./deployment-manifest.js";

/**
 * The manifest to activate at startup. `finish_push` records the incoming manifest as pending,
 * applies its schema (the engine's own commits), then stores it as active. If the process
 * stopped in between, the pending manifest is adopted when the database shows its schema fully
 * applied, and dropped otherwise, so code and schema always belong to the same push.
 */
export async function recoverManifest(
  store: ManifestStore,
  catalog: Catalog,
  logger: Logger,
): Promise<AppManifest | null> {
  const pending = await store.loadPending();
  if (pending === null) return await store.load();
  if (isSchemaApplied(schemaOf(pending), catalog)) {
    await store.save(pending);
    logger.warn("completed a push interrupted after its schema was applied");
  } else {
    logger.warn("dropped a push interrupted before its schema was applied");
  }
  await store.savePending(null);
  return await store.load();
}

/** True when `catalog` has exactly `schema`'s indexes, ready, and its validators. */
export function isSchemaApplied(
  schema: SchemaDefinition,
  catalog: Catalog,
): boolean {
  const changes = planSchemaChanges(catalog, schema);
  if (
    changes.addedIndexes.length > 0 ||
    changes.droppedIndexes.length > 0 ||
    changes.restagedIndexes.length > 0
  ) {
    return false;
  }
  return schema.tables.every((def) => {
    const table = catalog.tableByName(def.tableName);
    if (table === undefined) return false;
    const expected = schema.schemaValidation
      ? JSON.stringify(def.documentType)
      : null;
    const actual =
      table.documentType === null ? null : JSON.stringify(table.documentType);
    const indexesReady = def.indexes.every(
      (index) =>
        catalog.index(table.number, index.name)?.state ===
        (index.staged ? "backfilled" : "enabled"),
    );
    return expected === actual && indexesReady;
  });
}
