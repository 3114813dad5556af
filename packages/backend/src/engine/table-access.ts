/**
 * The checks and lookups a transaction applies to table names and ids before reading or writing:
 * Convex's rules for ids of foreign and system tables, writable tables, and the virtual indexes
 * of tables that do not exist.
 */
import type { KeyInterval } from "../storage/persistence.js";
import { encodeIndexKey, prefixSuccessor } from "../values/index-key.js";
import { validateIdentifier } from "../values/size.js";
import type { ObjectValue } from "../values/value.js";
import {
  BY_CREATION_TIME,
  BY_ID,
  INDEX_TABLE,
  TABLES_TABLE,
  isSystemTableName,
  type Catalog,
  type TableInfo,
} from "./catalog.js";
import {
  invalidIdError,
  systemTableAccessError,
  systemTableWriteError,
  tableMismatchError,
  userTableThroughSystemError,
  type DatabaseOperation,
} from "./engine-errors.js";
import { tableNumberOfId } from "./id-table-cache.js";
import type { ResolvedIndex } from "./query/index-reader.js";

/** Options of the id-taking operations: `table` from the two-argument forms, `isSystem` for db.system. */
export interface DocumentOptions {
  readonly table?: string | undefined;
  readonly isSystem?: boolean | undefined;
}

export const FULL_INTERVAL: KeyInterval = {
  start: new Uint8Array(0),
  end: null,
};

/** The interval of all keys starting with the encoding of `values`. */
export function prefixInterval(
  values: Parameters<typeof encodeIndexKey>[0],
): KeyInterval {
  const start = encodeIndexKey(values);
  return { start, end: prefixSuccessor(start) };
}

/** A user or system table by name; the metadata tables are invisible. */
export function visibleTable(
  catalog: Catalog,
  name: string,
): TableInfo | undefined {
  const table = catalog.tableByName(name);
  return table === undefined || table.docId === null ? undefined : table;
}

/**
 * The table of `id` for an id-taking operation, enforcing Convex's checks (reference §1.3), with
 * the id (ids decode strictly, so a valid id is already canonical). Null when the id's table does
 * not exist.
 *
 * @throws BackendError for a malformed id, a table mismatch, or system/user access through the
 *   wrong `db`.
 */
export function tableOfId(
  catalog: Catalog,
  operation: DatabaseOperation,
  id: string,
  options: DocumentOptions,
): { table: TableInfo; id: string } | null {
  const tableNumber = tableNumberOfId(id);
  if (tableNumber === null) throw invalidIdError(operation, id);
  const table = catalog.tableByNumber(tableNumber);
  if (table === undefined || table.docId === null) return null;
  if (options.table !== undefined && options.table !== table.name) {
    throw tableMismatchError(operation, options.table, table.name);
  }
  const system = isSystemTableName(table.name);
  if (system && options.isSystem !== true) throw systemTableAccessError();
  if (!system && options.isSystem === true) throw userTableThroughSystemError();
  return { table, id };
}

/** `id` when it is a valid id of the visible table `table`, else null (`db.normalizeId`). */
export function normalizeId(
  catalog: Catalog,
  table: string,
  id: string,
): string | null {
  const tableNumber = tableNumberOfId(id);
  const info = visibleTable(catalog, table);
  return tableNumber !== null &&
    info !== undefined &&
    tableNumber === info.number
    ? id
    : null;
}

/** Refuses writes to system tables (unless `isSystem`), to the metadata tables, and bad names. */
export function assertWritableTable(name: string, isSystem: boolean): void {
  if (isSystemTableName(name) && !isSystem) throw systemTableWriteError(name);
  if (name === TABLES_TABLE || name === INDEX_TABLE)
    throw systemTableWriteError(name);
  validateIdentifier(name, "table");
}

/** The fields of an insert value, with `undefined` members dropped. */
export function userFieldsOf(value: ObjectValue): ObjectValue {
  const out: ObjectValue = {};
  for (const [field, v] of Object.entries(value))
    if (v !== undefined) out[field] = v;
  return out;
}

/**
 * The always-empty built-in index of a table that does not exist (queries on missing tables
 * return nothing); null for any other index name.
 */
export function virtualIndex(
  tableName: string,
  indexName: string,
): ResolvedIndex | null {
  const fields =
    indexName === BY_ID
      ? ["_id"]
      : indexName === BY_CREATION_TIME
        ? ["_creationTime", "_id"]
        : null;
  if (fields === null) return null;
  return {
    id: `missing:${tableName}/${indexName}`,
    tableName,
    indexName,
    fields,
  };
}
