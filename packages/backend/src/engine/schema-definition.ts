/**
 * The schema as the official package exports it (`schema.export()`, reference §2.7), parsed and
 * checked: per-table validators and database indexes (search and vector indexes are carried but
 * not built by the engine).
 */
import { badRequest } from "../errors/backend-error.js";
import { validateIdentifier } from "../values/size.js";
import { parseValidatorJson, type ValidatorJson } from "../values/validator.js";
import { BY_CREATION_TIME, BY_ID } from "./catalog.js";

export interface IndexDefinition {
  readonly name: string;
  /** User fields (dotted paths), without the implicit `_creationTime`, `_id` suffix. */
  readonly fields: readonly string[];
  /** Staged indexes are backfilled but not queryable. */
  readonly staged: boolean;
}

export interface TableDefinition {
  readonly tableName: string;
  readonly indexes: readonly IndexDefinition[];
  readonly documentType: ValidatorJson;
}

export interface SchemaDefinition {
  readonly tables: readonly TableDefinition[];
  /** Whether writes (and the schema push) are checked against `documentType`. */
  readonly schemaValidation: boolean;
}

/** Convex: `MAX_INDEXES_PER_TABLE` and `MAX_INDEX_FIELDS`. */
const MAX_INDEXES_PER_TABLE = 64;
const MAX_INDEX_FIELDS = 16;

function invalidSchema(message: string): never {
  throw badRequest("InvalidSchema", message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseIndexes(
  tableName: string,
  raw: unknown,
  staged: boolean,
): IndexDefinition[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    invalidSchema(`Table "${tableName}": indexes must be an array.`);
  return raw.map((entry: unknown) => {
    if (
      !isRecord(entry) ||
      typeof entry.indexDescriptor !== "string" ||
      !Array.isArray(entry.fields)
    ) {
      invalidSchema(
        `Table "${tableName}": malformed index definition ${JSON.stringify(entry)}.`,
      );
    }
    const fields = entry.fields.map((f: unknown) =>
      typeof f === "string"
        ? f
        : invalidSchema(`Table "${tableName}": index fields must be strings.`),
    );
    return { name: entry.indexDescriptor, fields, staged };
  });
}

function checkIndex(tableName: string, index: IndexDefinition): void {
  const where = `In table "${tableName}" index "${index.name}"`;
  if (
    index.name === BY_ID ||
    index.name === BY_CREATION_TIME ||
    index.name.startsWith("_")
  ) {
    invalidSchema(`${where}: the index name is reserved.`);
  }
  validateIdentifier(index.name, "index");
  if (index.fields.length === 0)
    invalidSchema(`${where}: an index needs at least one field.`);
  if (index.fields.length > MAX_INDEX_FIELDS) {
    invalidSchema(
      `${where}: an index may have at most ${MAX_INDEX_FIELDS} fields.`,
    );
  }
  const seen = new Set<string>();
  for (const field of index.fields) {
    if (
      field === "_id" ||
      field === "_creationTime" ||
      field.split(".").some((p) => p.startsWith("_"))
    ) {
      invalidSchema(
        `${where}: field "${field}" is not allowed; "_creationTime" and "_id" are added to every index automatically.`,
      );
    }
    if (seen.has(field)) invalidSchema(`${where}: duplicate field "${field}".`);
    seen.add(field);
  }
}

function parseTable(raw: unknown): TableDefinition {
  if (!isRecord(raw) || typeof raw.tableName !== "string") {
    invalidSchema(`Malformed table definition ${JSON.stringify(raw)}.`);
  }
  const tableName = raw.tableName;
  validateIdentifier(tableName, "table");
  if (tableName.startsWith("_"))
    invalidSchema(`Table name "${tableName}" is reserved.`);
  const indexes = [
    ...parseIndexes(tableName, raw.indexes, false),
    ...parseIndexes(tableName, raw.stagedDbIndexes, true),
  ];
  if (indexes.length > MAX_INDEXES_PER_TABLE) {
    invalidSchema(
      `Table "${tableName}" has more than ${MAX_INDEXES_PER_TABLE} indexes.`,
    );
  }
  const names = new Set<string>();
  for (const index of indexes) {
    checkIndex(tableName, index);
    if (names.has(index.name))
      invalidSchema(
        `Table "${tableName}" has two indexes named "${index.name}".`,
      );
    names.add(index.name);
  }
  return {
    tableName,
    indexes,
    documentType: parseValidatorJson(raw.documentType),
  };
}

/**
 * Parses `schema.export()` output (the JSON text or its parsed value).
 *
 * @throws BackendError BadRequest `InvalidSchema` (or a values/ error) when malformed.
 */
export function parseSchemaExport(exported: unknown): SchemaDefinition {
  const raw: unknown =
    typeof exported === "string" ? JSON.parse(exported) : exported;
  if (!isRecord(raw) || !Array.isArray(raw.tables))
    invalidSchema("A schema must have a `tables` array.");
  const tables = raw.tables.map(parseTable);
  const names = new Set<string>();
  for (const table of tables) {
    if (names.has(table.tableName))
      invalidSchema(`Table "${table.tableName}" is defined twice.`);
    names.add(table.tableName);
  }
  return { tables, schemaValidation: raw.schemaValidation !== false };
}
