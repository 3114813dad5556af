import type {
  IndexConfig,
  IndexDiff,
  PushDiff,
} from "../http/push/deploy-api.js";
import type { Catalog } from "../engine/catalog.js";
import type { SchemaChanges } from "../engine/schema.js";
import type { SchemaDefinition } from "../engine/schema-definition.js";
import type { AppManifest } from "./deployment-manifest.js";

/** The indexes a schema change adds and removes, as the CLI prints them. */
export function toIndexDiff(
  changes: SchemaChanges,
  schema: SchemaDefinition,
  catalog: Catalog,
): IndexDiff {
  const added = changes.addedIndexes.map((index): IndexConfig => {
    const fields =
      schema.tables
        .find((t) => t.tableName === index.table)
        ?.indexes.find((i) => i.name === index.name)?.fields ?? [];
    return {
      name: `${index.table}.${index.name}`,
      type: "database",
      fields: [...fields],
      ...(index.staged ? { staged: true } : {}),
    };
  });
  const removed = changes.droppedIndexes.map((index): IndexConfig => {
    const table = catalog.tableByName(index.table);
    const info =
      table === undefined
        ? undefined
        : catalog.indexesOf(table.number).find((i) => i.name === index.name);
    return {
      name: `${index.table}.${index.name}`,
      type: "database",
      fields: [...(info?.userFields ?? [])],
    };
  });
  return { added, removed };
}

/** What activating `next` changes relative to `previous` (null before the first deploy). */
export function diffManifests(
  previous: AppManifest | null,
  next: AppManifest,
  indexDiff: IndexDiff,
): PushDiff {
  const before = new Set(Object.keys(previous?.analysis.modules ?? {}));
  const after = new Set(Object.keys(next.analysis.modules));
  const previousVersion = previous?.udfServerVersion ?? null;
  const nextVersion = next.udfServerVersion;
  const schemaBefore = schemaText(previous);
  const schemaAfter = schemaText(next);
  return {
    firstPush: previous === null,
    modules: {
      added: [...after].filter((m) => !before.has(m)).sort(),
      removed: [...before].filter((m) => !after.has(m)).sort(),
    },
    udfServerVersion:
      previousVersion !== null &&
      nextVersion !== null &&
      previousVersion !== nextVersion
        ? { previous: previousVersion, next: nextVersion }
        : null,
    crons: diffKeyed(previous?.analysis.crons ?? {}, next.analysis.crons ?? {}),
    indexDiff,
    schema:
      schemaBefore === schemaAfter
        ? null
        : { previous: schemaBefore, next: schemaAfter },
    auth: diffLists(
      (previous?.analysis.authProviders ?? []).map((p) => JSON.stringify(p)),
      next.analysis.authProviders.map((p) => JSON.stringify(p)),
    ),
  };
}

function schemaText(manifest: AppManifest | null): string | null {
  const schema = manifest?.analysis.schema;
  return schema === undefined || schema === null
    ? null
    : JSON.stringify(schema);
}

function diffKeyed(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): { added: string[]; updated: string[]; deleted: string[] } {
  const added: string[] = [];
  const updated: string[] = [];
  for (const [name, spec] of Object.entries(after)) {
    if (!(name in before)) added.push(name);
    else if (JSON.stringify(before[name]) !== JSON.stringify(spec))
      updated.push(name);
  }
  const deleted = Object.keys(before).filter((name) => !(name in after));
  return {
    added: added.sort(),
    updated: updated.sort(),
    deleted: deleted.sort(),
  };
}

function diffLists(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; removed: string[] } {
  return {
    added: after.filter((p) => !before.includes(p)),
    removed: before.filter((p) => !after.includes(p)),
  };
}
