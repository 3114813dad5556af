/**
 * Table and index metadata. The metadata is itself stored as documents of two internal tables in
 * the same log as user data, so it is durable and transactional:
 *
 * - `_tables` (table number 1): `{ name, number, documentType, searchIndexes?, vectorIndexes? }`,
 *   one per table; `documentType` is the JSON text of the table's validator when the schema
 *   enforces it, else null; the other two are the JSON text of the schema's search and vector
 *   index definitions (absent when there are none).
 * - `_index` (table number 2): `{ table, name, fields, state, staged }`, one per user index;
 *   `table` is the table number, `fields` the user fields (without the implicit suffix).
 *
 * A `Catalog` is an immutable view of that metadata at one point; `apply` derives the next view
 * from one metadata document write, the same way for a transaction's own writes, for commits and
 * when loading at startup. Every table also has the built-in `by_id` and `by_creation_time`
 * indexes, which have no `_index` document.
 */
import { assert } from "../shared/asserts.js";
import {
  FIRST_SYSTEM_TABLE_NUMBER,
  FIRST_USER_TABLE_NUMBER,
} from "../values/id.js";
import { parseValidatorJson, type ValidatorJson } from "../values/validator.js";
import type { Document } from "../values/value.js";
import type {
  SearchIndexDefinition,
  VectorIndexDefinition,
} from "./schema-definition.js";

export const TABLES_TABLE = "_tables";
export const INDEX_TABLE = "_index";
export const TABLES_TABLE_NUMBER = 1;
export const INDEX_TABLE_NUMBER = 2;

export const BY_ID = "by_id";
export const BY_CREATION_TIME = "by_creation_time";
/** The `_tables` index by name, read to learn whether a table exists. */
export const TABLES_BY_NAME = "by_name";
/** The `_index` index by table number, read by every write to a table. */
export const INDEX_BY_TABLE = "by_table";

/**
 * - `backfilling`: maintained by every write, being filled for older documents; not queryable.
 * - `backfilled`: complete but staged; not queryable until the schema enables it.
 * - `enabled`: complete and queryable.
 */
export type IndexState = "backfilling" | "backfilled" | "enabled";

export interface IndexInfo {
  /** Storage index id: `<table number>/<name>` for built-in indexes, else the `_index` doc id. */
  readonly id: string;
  readonly tableNumber: number;
  readonly name: string;
  /** Full key fields: user fields, then `_creationTime`, `_id` (see `ResolvedIndex.fields`). */
  readonly fields: readonly string[];
  readonly userFields: readonly string[];
  readonly state: IndexState;
  readonly staged: boolean;
  /** The `_index` document, null for built-in indexes. */
  readonly docId: string | null;
}

export interface TableInfo {
  readonly number: number;
  /** Storage table id: the table number in decimal. */
  readonly id: string;
  readonly name: string;
  /** The `_tables` document, null for the two metadata tables. */
  readonly docId: string | null;
  /** The validator writes must match, or null when the schema does not enforce one. */
  readonly documentType: ValidatorJson | null;
  /** The schema's search indexes on this table. */
  readonly searchIndexes: readonly SearchIndexDefinition[];
  /** The schema's vector indexes on this table. */
  readonly vectorIndexes: readonly VectorIndexDefinition[];
}

/** Whether `name` is a system table name (`_`-prefixed): not writable through user methods. */
export function isSystemTableName(name: string): boolean {
  return name.startsWith("_");
}

/** The full key fields of a user index over `userFields`. */
export function fullIndexFields(userFields: readonly string[]): string[] {
  return [...userFields, "_creationTime", "_id"];
}

function builtinIndexes(tableNumber: number): IndexInfo[] {
  const make = (
    name: string,
    userFields: string[],
    fields: string[],
  ): IndexInfo => ({
    id: `${tableNumber}/${name}`,
    tableNumber,
    name,
    fields,
    userFields,
    state: "enabled",
    staged: false,
    docId: null,
  });
  const indexes = [
    make(BY_ID, [], ["_id"]),
    make(BY_CREATION_TIME, [], ["_creationTime", "_id"]),
  ];
  if (tableNumber === TABLES_TABLE_NUMBER) {
    indexes.push(make(TABLES_BY_NAME, ["name"], fullIndexFields(["name"])));
  }
  if (tableNumber === INDEX_TABLE_NUMBER) {
    indexes.push(make(INDEX_BY_TABLE, ["table"], fullIndexFields(["table"])));
  }
  return indexes;
}

function metaTable(number: number, name: string): TableInfo {
  return {
    number,
    id: String(number),
    name,
    docId: null,
    documentType: null,
    searchIndexes: [],
    vectorIndexes: [],
  };
}

/** Decodes a `_tables` document into a table. */
function tableFromDocument(doc: Document): TableInfo {
  const { name, number, documentType, searchIndexes, vectorIndexes } = doc;
  assert(
    typeof name === "string" && typeof number === "number",
    "malformed _tables document",
  );
  return {
    number,
    id: String(number),
    name,
    docId: doc._id,
    documentType:
      typeof documentType === "string"
        ? parseValidatorJson(JSON.parse(documentType))
        : null,
    searchIndexes: definitionsFromText<SearchIndexDefinition>(searchIndexes),
    vectorIndexes: definitionsFromText<VectorIndexDefinition>(vectorIndexes),
  };
}

/** The definitions `schema.ts` stored as JSON text (absent or null: none). */
function definitionsFromText<T>(text: unknown): readonly T[] {
  if (text === undefined || text === null) return [];
  assert(typeof text === "string", "malformed _tables index definitions");
  const parsed: unknown = JSON.parse(text);
  assert(Array.isArray(parsed), "malformed _tables index definitions");
  return parsed as T[];
}

/** Decodes an `_index` document into an index. */
function indexFromDocument(doc: Document): IndexInfo {
  const { table, name, fields, state, staged } = doc;
  assert(
    typeof table === "number" &&
      typeof name === "string" &&
      Array.isArray(fields) &&
      (state === "backfilling" ||
        state === "backfilled" ||
        state === "enabled"),
    "malformed _index document",
  );
  const userFields = fields.map((f) => {
    assert(typeof f === "string", "malformed _index fields");
    return f;
  });
  return {
    id: doc._id,
    tableNumber: table,
    name,
    fields: fullIndexFields(userFields),
    userFields,
    state,
    staged: staged === true,
    docId: doc._id,
  };
}

/** An immutable view of the table and index metadata. */
export class Catalog {
  readonly #tablesByName: ReadonlyMap<string, TableInfo>;
  readonly #tablesByNumber: ReadonlyMap<number, TableInfo>;
  /** User (non built-in) indexes by `_index` doc id. */
  readonly #userIndexes: ReadonlyMap<string, IndexInfo>;
  readonly #indexesByTable = new Map<number, IndexInfo[]>();

  private constructor(
    tables: readonly TableInfo[],
    userIndexes: ReadonlyMap<string, IndexInfo>,
  ) {
    this.#tablesByName = new Map(tables.map((t) => [t.name, t]));
    this.#tablesByNumber = new Map(tables.map((t) => [t.number, t]));
    this.#userIndexes = userIndexes;
  }

  /** The catalog of an empty database: only the two metadata tables. */
  static bootstrap(): Catalog {
    return new Catalog(
      [
        metaTable(TABLES_TABLE_NUMBER, TABLES_TABLE),
        metaTable(INDEX_TABLE_NUMBER, INDEX_TABLE),
      ],
      new Map(),
    );
  }

  tableByName(name: string): TableInfo | undefined {
    return this.#tablesByName.get(name);
  }

  tableByNumber(number: number): TableInfo | undefined {
    return this.#tablesByNumber.get(number);
  }

  /** Every table, metadata tables included. */
  tables(): TableInfo[] {
    return [...this.#tablesByNumber.values()];
  }

  /** Every index of a table (built-in first), in any state. */
  indexesOf(tableNumber: number): readonly IndexInfo[] {
    let indexes = this.#indexesByTable.get(tableNumber);
    if (indexes === undefined) {
      indexes = builtinIndexes(tableNumber);
      for (const index of this.#userIndexes.values()) {
        if (index.tableNumber === tableNumber) indexes.push(index);
      }
      this.#indexesByTable.set(tableNumber, indexes);
    }
    return indexes;
  }

  /**
   * The index `name` of a table. While a schema change replaces an index by a new one of the same
   * name, both exist; the enabled one wins.
   */
  index(tableNumber: number, name: string): IndexInfo | undefined {
    const indexes = this.indexesOf(tableNumber);
    return (
      indexes.find((i) => i.name === name && i.state === "enabled") ??
      indexes.find((i) => i.name === name)
    );
  }

  /** The number a new table gets: the next free number in the user or the system range. */
  nextTableNumber(system: boolean): number {
    const first = system ? FIRST_SYSTEM_TABLE_NUMBER : FIRST_USER_TABLE_NUMBER;
    const limit = system ? FIRST_USER_TABLE_NUMBER : Number.MAX_SAFE_INTEGER;
    let next = first;
    for (const number of this.#tablesByNumber.keys()) {
      if (number >= first && number < limit && number >= next)
        next = number + 1;
    }
    return next;
  }

  /**
   * The catalog after writing metadata document `docId` of metadata table `tableNumber` (`doc`
   * null for a delete). Writes to other tables return `this`.
   */
  apply(tableNumber: number, docId: string, doc: Document | null): Catalog {
    if (tableNumber === TABLES_TABLE_NUMBER) {
      const tables = [...this.#tablesByNumber.values()].filter(
        (t) => t.docId !== docId,
      );
      if (doc !== null) tables.push(tableFromDocument(doc));
      return new Catalog(tables, this.#userIndexes);
    }
    if (tableNumber === INDEX_TABLE_NUMBER) {
      const indexes = new Map(this.#userIndexes);
      indexes.delete(docId);
      if (doc !== null) indexes.set(docId, indexFromDocument(doc));
      return new Catalog([...this.#tablesByNumber.values()], indexes);
    }
    return this;
  }
}
