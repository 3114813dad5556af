/**
 * Schema changes: `prepare` checks a candidate schema against the stored documents without side
 * effects; `apply` creates the schema's tables and new indexes (state `backfilling`, maintained by
 * every later write), backfills them, then at one commit enables them, drops removed indexes and
 * activates the validators. Staged indexes are backfilled but stay unqueryable.
 */
import { badRequest } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import type { Persistence, Timestamp } from "../storage/persistence.js";
import { validateValue } from "../values/validator.js";
import {
  BY_ID,
  INDEX_TABLE_NUMBER,
  TABLES_TABLE_NUMBER,
  type Catalog,
  type IndexInfo,
  type TableInfo,
} from "./catalog.js";
import type { Database } from "./database.js";
import { DocumentCache } from "./document-codec.js";
import { IndexBackfill, type BackfillProgress } from "./index-backfill.js";
import type {
  IndexDefinition,
  SchemaDefinition,
  SearchIndexDefinition,
  VectorIndexDefinition,
} from "./schema-definition.js";
import { userFields } from "./system-fields.js";
import type { Transaction } from "./transaction.js";

/** What applying a schema changes. */
export interface SchemaChanges {
  readonly addedIndexes: readonly {
    table: string;
    name: string;
    staged: boolean;
  }[];
  readonly droppedIndexes: readonly { table: string; name: string }[];
  /** Existing indexes whose staged flag flips. */
  readonly restagedIndexes: readonly {
    table: string;
    name: string;
    staged: boolean;
  }[];
}

export interface SchemaManagerDeps {
  readonly database: Database;
  readonly persistence: Persistence;
  readonly logger: Logger;
  readonly holdSnapshot: (ts: Timestamp) => () => void;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/** The user indexes of a table that match definition `def` (same name and fields). */
function matching(
  catalog: Catalog,
  table: TableInfo | undefined,
  def: IndexDefinition,
): IndexInfo | undefined {
  if (table === undefined) return undefined;
  return catalog
    .indexesOf(table.number)
    .find(
      (i) =>
        i.docId !== null &&
        i.name === def.name &&
        sameFields(i.userFields, def.fields),
    );
}

/** Plans the index changes of `schema` against `catalog`. */
export function planSchemaChanges(
  catalog: Catalog,
  schema: SchemaDefinition,
): SchemaChanges {
  const addedIndexes: { table: string; name: string; staged: boolean }[] = [];
  const restagedIndexes: { table: string; name: string; staged: boolean }[] =
    [];
  const keep = new Set<string>();
  for (const def of schema.tables) {
    const table = catalog.tableByName(def.tableName);
    for (const index of def.indexes) {
      const existing = matching(catalog, table, index);
      if (existing === undefined) {
        addedIndexes.push({
          table: def.tableName,
          name: index.name,
          staged: index.staged,
        });
        continue;
      }
      keep.add(existing.id);
      if (existing.staged !== index.staged) {
        restagedIndexes.push({
          table: def.tableName,
          name: index.name,
          staged: index.staged,
        });
      }
    }
  }
  const droppedIndexes: { table: string; name: string }[] = [];
  for (const table of catalog.tables()) {
    if (table.docId === null) continue;
    for (const index of catalog.indexesOf(table.number)) {
      if (index.docId !== null && !keep.has(index.id)) {
        droppedIndexes.push({ table: table.name, name: index.name });
      }
    }
  }
  return { addedIndexes, droppedIndexes, restagedIndexes };
}

/** What a `_tables` document holds of the schema, as stored (JSON texts, null for none). */
interface TableSchemaTexts {
  readonly documentType: string | null;
  readonly searchIndexes: string | null;
  readonly vectorIndexes: string | null;
}

const NO_TABLE_SCHEMA: TableSchemaTexts = {
  documentType: null,
  searchIndexes: null,
  vectorIndexes: null,
};

/** Search or vector index definitions as stored in `_tables`: JSON text, or null for none. */
function definitionsText(
  definitions: readonly (SearchIndexDefinition | VectorIndexDefinition)[],
): string | null {
  return definitions.length === 0 ? null : JSON.stringify(definitions);
}

export class SchemaManager {
  readonly #deps: SchemaManagerDeps;
  readonly #backfill: IndexBackfill;

  constructor(deps: SchemaManagerDeps) {
    this.#deps = deps;
    this.#backfill = new IndexBackfill(deps);
  }

  /**
   * Checks `schema` against the latest snapshot without side effects: every stored document of a
   * table the schema validates must match its validator. Returns the planned changes.
   *
   * @throws BackendError BadRequest `SchemaValidationFailed` naming the table and document.
   */
  async prepare(schema: SchemaDefinition): Promise<SchemaChanges> {
    const { database } = this.#deps;
    await this.#validateDocuments(schema, database.catalog, database.latestTs);
    return planSchemaChanges(database.catalog, schema);
  }

  /**
   * Applies `schema`: validates it, creates its tables and new indexes, backfills them, then at
   * one commit enables them, drops indexes the schema no longer has and activates the
   * validators. Resolves with the final commit's ts.
   */
  async apply(
    schema: SchemaDefinition,
  ): Promise<{ ts: Timestamp; changes: SchemaChanges }> {
    const { database } = this.#deps;
    const changes = await this.prepare(schema);
    const { value: created } = await database.runInTransaction(async (tx) => {
      tx.recordMetadataRead();
      const added: IndexInfo[] = [];
      for (const def of schema.tables) {
        const table = await tx.ensureTable(def.tableName);
        for (const index of def.indexes) {
          if (matching(tx.catalog, table, index) !== undefined) continue;
          const id = await tx.writeMetadata(INDEX_TABLE_NUMBER, null, {
            table: table.number,
            name: index.name,
            fields: [...index.fields],
            state: "backfilling",
            staged: index.staged,
          });
          added.push(
            tx.catalog.indexesOf(table.number).find((i) => i.id === id)!,
          );
        }
      }
      return added;
    });
    for (const index of created) await this.#backfill.run(index);
    const { ts } = await database.runInTransaction((tx) =>
      this.#activate(tx, schema),
    );
    return { ts, changes };
  }

  /** Backfill progress of indexes built since this database opened. */
  progress(): BackfillProgress[] {
    return this.#backfill.progress();
  }

  /** Restarts backfills interrupted by a restart; enables the non-staged ones when done. */
  resumeBackfills(): void {
    const { database, logger } = this.#deps;
    const pending = database.catalog
      .tables()
      .flatMap((t) => database.catalog.indexesOf(t.number))
      .filter((i) => i.state === "backfilling");
    if (pending.length === 0) return;
    const resume = async (): Promise<void> => {
      for (const index of pending) await this.#backfill.run(index);
      await database.runInTransaction(async (tx) => {
        for (const index of pending) {
          const current = tx.catalog
            .indexesOf(index.tableNumber)
            .find((i) => i.id === index.id);
          if (
            current === undefined ||
            current.state !== "backfilled" ||
            current.staged
          )
            continue;
          await this.#setState(tx, current, "enabled");
        }
      });
    };
    resume().catch((e: unknown) =>
      logger.error("index backfill failed", { error: String(e) }),
    );
  }

  /** Stops running backfills. */
  async stop(): Promise<void> {
    await this.#backfill.stop();
  }

  async #activate(tx: Transaction, schema: SchemaDefinition): Promise<void> {
    tx.recordMetadataRead();
    const catalog = tx.catalog;
    await this.#validateDocuments(schema, catalog, tx.readTs);
    const keep = new Set<string>();
    for (const def of schema.tables) {
      const table = await tx.ensureTable(def.tableName);
      tx.recordTableRead(def.tableName);
      for (const index of def.indexes) {
        const existing = matching(tx.catalog, table, index);
        if (existing === undefined)
          throw new Error(`Assertion failed: index ${index.name} missing`);
        keep.add(existing.id);
        if (existing.state === "backfilling") {
          throw badRequest(
            "IndexBackfillIncomplete",
            `Index ${def.tableName}.${index.name} is still backfilling.`,
          );
        }
        const state = index.staged ? "backfilled" : "enabled";
        if (existing.state !== state || existing.staged !== index.staged) {
          await this.#setState(
            tx,
            { ...existing, staged: index.staged },
            state,
          );
        }
      }
      await this.#setTableSchema(tx, table, {
        documentType: schema.schemaValidation
          ? JSON.stringify(def.documentType)
          : null,
        searchIndexes: definitionsText(def.searchIndexes),
        vectorIndexes: definitionsText(def.vectorIndexes),
      });
    }
    const inSchema = new Set(schema.tables.map((t) => t.tableName));
    for (const table of tx.catalog.tables()) {
      if (table.docId === null) continue;
      if (!inSchema.has(table.name))
        await this.#setTableSchema(tx, table, NO_TABLE_SCHEMA);
      for (const index of tx.catalog.indexesOf(table.number)) {
        if (index.docId !== null && !keep.has(index.id)) {
          await tx.writeMetadata(INDEX_TABLE_NUMBER, index.docId, null);
        }
      }
    }
  }

  async #setState(
    tx: Transaction,
    index: IndexInfo,
    state: IndexInfo["state"],
  ): Promise<void> {
    await tx.writeMetadata(INDEX_TABLE_NUMBER, index.docId, {
      table: index.tableNumber,
      name: index.name,
      fields: [...index.userFields],
      state,
      staged: index.staged,
    });
  }

  async #setTableSchema(
    tx: Transaction,
    table: TableInfo,
    next: TableSchemaTexts,
  ): Promise<void> {
    const current: TableSchemaTexts = {
      documentType:
        table.documentType === null ? null : JSON.stringify(table.documentType),
      searchIndexes: definitionsText(table.searchIndexes),
      vectorIndexes: definitionsText(table.vectorIndexes),
    };
    if (
      current.documentType === next.documentType &&
      current.searchIndexes === next.searchIndexes &&
      current.vectorIndexes === next.vectorIndexes
    )
      return;
    await tx.writeMetadata(TABLES_TABLE_NUMBER, table.docId, {
      name: table.name,
      number: table.number,
      documentType: next.documentType,
      ...(next.searchIndexes === null
        ? {}
        : { searchIndexes: next.searchIndexes }),
      ...(next.vectorIndexes === null
        ? {}
        : { vectorIndexes: next.vectorIndexes }),
    });
  }

  /** Checks every stored document of the validated tables at `ts`. */
  async #validateDocuments(
    schema: SchemaDefinition,
    catalog: Catalog,
    ts: Timestamp,
  ): Promise<void> {
    if (!schema.schemaValidation) return;
    const reader = this.#deps.persistence.reader();
    const cache = new DocumentCache(0);
    const tableNumberOf = (name: string): number | undefined => {
      const table = catalog.tableByName(name);
      return table === undefined || table.docId === null
        ? undefined
        : table.number;
    };
    for (const def of schema.tables) {
      const table = catalog.tableByName(def.tableName);
      if (table === undefined) continue;
      const interval = { start: new Uint8Array(0), end: null };
      for await (const entry of reader.indexScan(
        `${table.number}/${BY_ID}`,
        ts,
        interval,
        "asc",
      )) {
        const parsed = cache.parse(entry.document);
        if (parsed === null) continue;
        const error = validateValue(
          def.documentType,
          userFields(parsed.document),
          { tableNumberOf },
        );
        if (error !== null) {
          throw badRequest(
            "SchemaValidationFailed",
            `Schema validation failed.\nDocument with ID "${parsed.document._id}" in table "${def.tableName}" does not match the schema: ${error}`,
          );
        }
      }
    }
  }
}
