/**
 * The schema as the official package exports it (`schema.export()`, reference §2.7), parsed and
 * checked: per-table validators, database indexes, and the search and vector indexes (which the
 * engine answers by ranking the table at the query's snapshot: `query/text-search.ts`,
 * `query/vector-search.ts`).
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

/** A `.searchIndex(name, { searchField, filterFields, staged })`. */
export interface SearchIndexDefinition {
  readonly name: string;
  readonly searchField: string;
  readonly filterFields: readonly string[];
  /** Staged search indexes are not queryable. */
  readonly staged: boolean;
}

/** A `.vectorIndex(name, { vectorField, dimensions, filterFields, staged })`. */
export interface VectorIndexDefinition {
  readonly name: string;
  readonly vectorField: string;
  readonly dimensions: number;
  readonly filterFields: readonly string[];
  /** Staged vector indexes are not queryable. */
  readonly staged: boolean;
}

export interface TableDefinition {
  readonly tableName: string;
  readonly indexes: readonly IndexDefinition[];
  readonly searchIndexes: readonly SearchIndexDefinition[];
  readonly vectorIndexes: readonly VectorIndexDefinition[];
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
/** Convex's limits on search and vector indexes: filter fields, and a vector's dimensions. */
const MAX_FILTER_FIELDS = 16;
const MIN_VECTOR_DIMENSIONS = 2;
const MAX_VECTOR_DIMENSIONS = 4096;

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

/** The entries of `raw` (an array or absent), each checked to be an object. */
function entries(
  tableName: string,
  raw: unknown,
  what: string,
): Record<string, unknown>[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    invalidSchema(`Table "${tableName}": ${what} must be an array.`);
  return raw.map((entry: unknown) =>
    isRecord(entry) && typeof entry.indexDescriptor === "string"
      ? entry
      : invalidSchema(
          `Table "${tableName}": malformed ${what} entry ${JSON.stringify(entry)}.`,
        ),
  );
}

/** A search or vector index's field (`searchField`, `vectorField`, a filter field). */
function checkedField(where: string, field: unknown): string {
  if (typeof field !== "string" || field === "")
    invalidSchema(`${where}: fields must be non-empty strings.`);
  if (field.split(".").some((p) => p.startsWith("_")))
    invalidSchema(`${where}: field "${field}" is not allowed.`);
  return field;
}

function checkedFilterFields(where: string, raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    invalidSchema(`${where}: filterFields must be an array.`);
  if (raw.length > MAX_FILTER_FIELDS)
    invalidSchema(
      `${where}: an index may have at most ${MAX_FILTER_FIELDS} filter fields.`,
    );
  const fields = raw.map((f: unknown) => checkedField(where, f));
  if (new Set(fields).size !== fields.length)
    invalidSchema(`${where}: duplicate filter field.`);
  return fields;
}

function parseSearchIndexes(
  tableName: string,
  raw: unknown,
  staged: boolean,
): SearchIndexDefinition[] {
  return entries(tableName, raw, "searchIndexes").map((entry) => {
    const name = entry.indexDescriptor as string;
    const where = `In table "${tableName}" search index "${name}"`;
    return {
      name,
      searchField: checkedField(where, entry.searchField),
      filterFields: checkedFilterFields(where, entry.filterFields),
      staged,
    };
  });
}

function parseVectorIndexes(
  tableName: string,
  raw: unknown,
  staged: boolean,
): VectorIndexDefinition[] {
  return entries(tableName, raw, "vectorIndexes").map((entry) => {
    const name = entry.indexDescriptor as string;
    const where = `In table "${tableName}" vector index "${name}"`;
    const dimensions = entry.dimensions;
    if (
      typeof dimensions !== "number" ||
      !Number.isInteger(dimensions) ||
      dimensions < MIN_VECTOR_DIMENSIONS ||
      dimensions > MAX_VECTOR_DIMENSIONS
    ) {
      invalidSchema(
        `${where}: dimensions must be an integer between ${MIN_VECTOR_DIMENSIONS} and ${MAX_VECTOR_DIMENSIONS}, received ${JSON.stringify(dimensions)}.`,
      );
    }
    return {
      name,
      vectorField: checkedField(where, entry.vectorField),
      dimensions,
      filterFields: checkedFilterFields(where, entry.filterFields),
      staged,
    };
  });
}

function checkIndexName(tableName: string, name: string): void {
  if (name === BY_ID || name === BY_CREATION_TIME || name.startsWith("_")) {
    invalidSchema(
      `In table "${tableName}" index "${name}": the index name is reserved.`,
    );
  }
  validateIdentifier(name, "index");
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
  const searchIndexes = [
    ...parseSearchIndexes(tableName, raw.searchIndexes, false),
    ...parseSearchIndexes(tableName, raw.stagedSearchIndexes, true),
  ];
  const vectorIndexes = [
    ...parseVectorIndexes(tableName, raw.vectorIndexes, false),
    ...parseVectorIndexes(tableName, raw.stagedVectorIndexes, true),
  ];
  const names = new Set<string>();
  for (const { name } of [...indexes, ...searchIndexes, ...vectorIndexes]) {
    checkIndexName(tableName, name);
    if (names.has(name))
      invalidSchema(`Table "${tableName}" has two indexes named "${name}".`);
    names.add(name);
  }
  for (const index of indexes) checkIndex(tableName, index);
  return {
    tableName,
    indexes,
    searchIndexes,
    vectorIndexes,
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
