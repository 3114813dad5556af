/**
 * Vector search (`ctx.vectorSearch` in actions, the `1.0/actions/vectorSearch` syscall): the
 * documents of a table nearest to a query vector by cosine similarity, optionally restricted by
 * `q.eq` / `q.or` on the index's filter fields.
 *
 * The search is exact: the query is compared with every document's vector (kept normalised in
 * memory between searches by `IndexReader.projectTable`; no approximate index), so the results
 * are the true nearest neighbours. Documents whose vector field is not an array of `dimensions`
 * numbers are not in the index, as in Convex; nor are zero vectors, which have no direction.
 */
import { badRequest } from "../../errors/backend-error.js";
import { compareValues } from "../../values/compare.js";
import type { JsonValue, Value } from "../../values/value.js";
import { getFieldValue, parseFieldPath } from "./field-path.js";
import { filterFieldPosition } from "./filter-fields.js";
import { parseLiteral } from "./filter.js";
import type {
  IndexReader,
  ProjectionSpec,
  ResolvedVectorIndex,
} from "./index-reader.js";

/** Convex's default and maximum number of vector search results. */
export const DEFAULT_VECTOR_RESULTS = 10;
export const MAX_VECTOR_RESULTS = 256;

/** One `q.eq(field, value)`; a filter is a disjunction of them (`q.or`). */
interface VectorEquality {
  readonly field: string;
  readonly value: Value | undefined;
}

/** The `query` of a `1.0/actions/vectorSearch` call, parsed. */
export interface VectorSearchQuery {
  readonly tableName: string;
  readonly indexName: string;
  readonly vector: readonly number[];
  readonly limit: number;
  /** Null for no filter; otherwise a document matches when any equality holds. */
  readonly filter: readonly VectorEquality[] | null;
}

/** One result as the syscall returns it. */
export interface VectorSearchResult {
  readonly _id: string;
  readonly _score: number;
}

function invalidVectorSearch(message: string) {
  return badRequest("InvalidVectorSearch", message);
}

/**
 * Parses `{indexName: "table.index", limit?, vector, expressions}`.
 *
 * @throws BackendError BadRequest `InvalidVectorSearch` for anything malformed.
 */
export function parseVectorSearchQuery(json: unknown): VectorSearchQuery {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw invalidVectorSearch("The vector search query must be an object.");
  const query = json as Record<string, unknown>;
  const indexName = query["indexName"];
  const dot = typeof indexName === "string" ? indexName.indexOf(".") : -1;
  if (typeof indexName !== "string" || dot <= 0)
    throw invalidVectorSearch(
      `Expected an index name "table.index", received ${JSON.stringify(indexName ?? null)}.`,
    );
  const vector = query["vector"];
  if (
    !Array.isArray(vector) ||
    vector.length === 0 ||
    !vector.every((x) => typeof x === "number" && Number.isFinite(x))
  ) {
    throw invalidVectorSearch("`vector` must be a non-empty array of numbers.");
  }
  const limit = query["limit"] ?? DEFAULT_VECTOR_RESULTS;
  if (
    typeof limit !== "number" ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_VECTOR_RESULTS
  ) {
    throw invalidVectorSearch(
      `\`limit\` must be an integer between 1 and ${MAX_VECTOR_RESULTS}, received ${JSON.stringify(limit)}.`,
    );
  }
  const expressions = query["expressions"] ?? null;
  return {
    tableName: indexName.slice(0, dot),
    indexName: indexName.slice(dot + 1),
    vector: vector as number[],
    limit,
    filter:
      expressions === null ? null : parseDisjunction(expressions as JsonValue),
  };
}

/** `{$eq: [{$field}, {$literal}]}` or `{$or: [...]}` (nested `$or`s flatten). */
function parseDisjunction(json: JsonValue): VectorEquality[] {
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const or = json["$or"];
    if (Array.isArray(or) && Object.keys(json).length === 1)
      return or.flatMap(parseDisjunction);
    const eq = json["$eq"];
    if (
      Array.isArray(eq) &&
      eq.length === 2 &&
      Object.keys(json).length === 1
    ) {
      const [field, literal] = eq.map((operand, i) =>
        typeof operand === "object" &&
        operand !== null &&
        !Array.isArray(operand)
          ? operand[i === 0 ? "$field" : "$literal"]
          : undefined,
      );
      if (typeof field === "string" && literal !== undefined)
        return [{ field, value: parseLiteral(literal) }];
    }
  }
  throw invalidVectorSearch(
    `A vector search filter is q.eq(field, value) or q.or(...) of them, received ${JSON.stringify(json)}.`,
  );
}

/**
 * Runs `query` through `reader` (a transaction): resolves the index, checks the vector and the
 * filter fields, and returns the `limit` nearest documents, highest score first.
 *
 * @throws BackendError BadRequest `IndexNotFoundError`, `InvalidVectorSearch`.
 */
export async function runVectorSearch(
  reader: IndexReader,
  query: VectorSearchQuery,
): Promise<VectorSearchResult[]> {
  const index = reader.resolveVectorIndex(query.tableName, query.indexName);
  const name = `${query.tableName}.${query.indexName}`;
  if (index === null)
    throw badRequest("IndexNotFoundError", `Index ${name} not found.`);
  if (query.vector.length !== index.dimensions) {
    throw invalidVectorSearch(
      `Vector search on ${name}: the query vector has ${query.vector.length} dimensions, the index has ${index.dimensions}.`,
    );
  }
  const filter = query.filter?.map(({ field, value }) => ({
    position: filterFieldPosition(
      index.filterFields,
      field,
      `vector index ${name}`,
      invalidVectorSearch,
    ),
    value,
  }));
  const queryUnit = unitVector(query.vector);
  if (queryUnit === null) return [];
  const entries = await reader.projectTable(
    query.tableName,
    vectorProjection(index),
  );
  const hits: VectorSearchResult[] = [];
  for (const entry of entries) {
    if (
      filter !== undefined &&
      !filter.some(
        ({ position, value }) =>
          compareValues(entry.filterValues[position], value) === 0,
      )
    )
      continue;
    let score = 0;
    for (let i = 0; i < queryUnit.length; i++)
      score += queryUnit[i]! * entry.unit[i]!;
    hits.push({ _id: entry.id, _score: score });
  }
  hits.sort((a, b) => b._score - a._score || (a._id < b._id ? -1 : 1));
  return hits.slice(0, query.limit);
}

/** What a vector search keeps of each document. */
interface VectorEntry {
  readonly id: string;
  /** The document's vector scaled to length 1. */
  readonly unit: Float64Array;
  /** The values of the index's filter fields, in `filterFields` order. */
  readonly filterValues: readonly (Value | undefined)[];
}

/** The projection of a vector index: documents holding a non-zero vector of its dimensions. */
function vectorProjection(
  index: ResolvedVectorIndex,
): ProjectionSpec<VectorEntry> {
  const vectorPath = parseFieldPath(index.vectorField);
  const filterPaths = index.filterFields.map(parseFieldPath);
  return {
    key: JSON.stringify([
      "vector",
      index.vectorField,
      index.dimensions,
      index.filterFields,
    ]),
    derive: (document) => {
      const vector = getFieldValue(document, vectorPath);
      if (!Array.isArray(vector) || vector.length !== index.dimensions)
        return null;
      if (!vector.every((x) => typeof x === "number")) return null;
      const unit = unitVector(vector);
      if (unit === null) return null;
      return {
        id: document._id,
        unit,
        filterValues: filterPaths.map((path) => getFieldValue(document, path)),
      };
    },
  };
}

/** `vector` scaled to length 1; null for a zero (or non-finite) vector. */
function unitVector(vector: readonly number[]): Float64Array | null {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0 || !Number.isFinite(norm)) return null;
  return Float64Array.from(vector, (x) => x / norm);
}
