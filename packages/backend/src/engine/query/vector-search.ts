/**
 * Vector search (`ctx.vectorSearch` in actions, the `1.0/actions/vectorSearch` syscall): the
 * documents of a table nearest to a query vector by cosine similarity, optionally restricted by
 * `q.eq` / `q.or` on the index's filter fields.
 *
 * The search is exact: every document of the table is compared (no approximate index), so the
 * results are the true nearest neighbours. Documents whose vector field is not an array of
 * `dimensions` numbers are not in the index, as in Convex.
 */
import { badRequest } from "../../errors/backend-error.js";
import { compareValues } from "../../values/compare.js";
import type { JsonValue, Value } from "../../values/value.js";
import { getFieldValue, parseFieldPath, type FieldPath } from "./field-path.js";
import { parseLiteral } from "./filter.js";
import type { IndexReader, ResolvedVectorIndex } from "./index-reader.js";

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
  const filter = query.filter?.map((equality) =>
    checkedEquality(index, name, equality),
  );
  const vectorPath = parseFieldPath(index.vectorField);
  const queryNorm = norm(query.vector);
  const hits: VectorSearchResult[] = [];
  for await (const { document } of reader.scanTable(query.tableName)) {
    if (
      filter !== undefined &&
      !filter.some(
        ({ path, value }) =>
          compareValues(getFieldValue(document, path), value) === 0,
      )
    )
      continue;
    const score = cosine(
      query.vector,
      queryNorm,
      getFieldValue(document, vectorPath),
      index.dimensions,
    );
    if (score !== null) hits.push({ _id: document._id, _score: score });
  }
  hits.sort((a, b) => b._score - a._score || (a._id < b._id ? -1 : 1));
  return hits.slice(0, query.limit);
}

function checkedEquality(
  index: ResolvedVectorIndex,
  name: string,
  equality: VectorEquality,
): { path: FieldPath; value: Value | undefined } {
  if (!index.filterFields.includes(equality.field)) {
    throw invalidVectorSearch(
      `Filter on "${equality.field}" is not in the filterFields of vector index ${name}` +
        ` (${index.filterFields.map((f) => `"${f}"`).join(", ") || "none"}).`,
    );
  }
  return { path: parseFieldPath(equality.field), value: equality.value };
}

function norm(vector: readonly number[]): number {
  let sum = 0;
  for (const x of vector) sum += x * x;
  return Math.sqrt(sum);
}

/** Cosine similarity with `stored`, or null when it is not a vector of the index (or is zero). */
function cosine(
  query: readonly number[],
  queryNorm: number,
  stored: Value | undefined,
  dimensions: number,
): number | null {
  if (!Array.isArray(stored) || stored.length !== dimensions) return null;
  let dot = 0;
  let sum = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = stored[i];
    if (typeof x !== "number") return null;
    dot += x * (query[i] ?? 0);
    sum += x * x;
  }
  if (sum === 0 || queryNorm === 0) return null;
  return dot / (Math.sqrt(sum) * queryNorm);
}
