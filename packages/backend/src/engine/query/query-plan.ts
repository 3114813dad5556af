/**
 * The serialized query the official package sends (`SerializedQuery` of
 * `convex/src/server/impl/query_impl.ts`, parsed by convex-backend's `crates/common/src/json/query.rs`)
 * as a typed plan: a source (`FullTableScan`, `IndexRange` or `Search`) and operators applied in
 * order (`filter`, `limit`).
 */
import type { BackendError } from "../../errors/backend-error.js";
import { badRequest } from "../../errors/backend-error.js";
import type { Order } from "../../storage/persistence.js";
import { convexToJson } from "../../values/json.js";
import { validateIdentifier } from "../../values/size.js";
import type { JsonValue, Value } from "../../values/value.js";
import {
  formatFieldPath,
  parseFieldPath,
  type FieldPath,
} from "./field-path.js";
import { parseExpression, parseLiteral, type Expression } from "./filter.js";

export type RangeComparison = "Eq" | "Gt" | "Gte" | "Lt" | "Lte";

/** One `q.eq/gt/gte/lt/lte(field, value)` of `withIndex`; `value: undefined` means "missing". */
export interface RangeExpression {
  readonly type: RangeComparison;
  readonly fieldPath: FieldPath;
  readonly value: Value | undefined;
}

/** One `q.search(field, text)` or `q.eq(field, value)` of `withSearchIndex`. */
export type SearchFilter =
  | {
      readonly type: "Search";
      readonly fieldPath: FieldPath;
      readonly value: string;
    }
  | {
      readonly type: "Eq";
      readonly fieldPath: FieldPath;
      readonly value: Value | undefined;
    };

export type QuerySource =
  | {
      readonly type: "FullTableScan";
      readonly tableName: string;
      readonly order: Order;
    }
  | {
      readonly type: "IndexRange";
      readonly tableName: string;
      /** The index name after the dot (`by_author` of `messages.by_author`). */
      readonly indexName: string;
      readonly range: readonly RangeExpression[];
      readonly order: Order;
    }
  | {
      readonly type: "Search";
      readonly tableName: string;
      readonly indexName: string;
      readonly filters: readonly SearchFilter[];
    };

export type QueryOperator =
  | { readonly type: "filter"; readonly expression: Expression }
  | { readonly type: "limit"; readonly limit: number };

/** A parsed query: where rows come from, then the operators applied to them in order. */
export interface QueryPlan {
  readonly source: QuerySource;
  readonly operators: readonly QueryOperator[];
}

/** At most this many operators per query; the package and the backend both enforce it. */
export const MAX_QUERY_OPERATORS = 256;

const RANGE_COMPARISONS: ReadonlySet<string> = new Set([
  "Eq",
  "Gt",
  "Gte",
  "Lt",
  "Lte",
]);

/**
 * Parses the query JSON of the `queryStream` / `queryPage` syscalls. Unknown extra keys are
 * ignored, as serde does in the backend.
 *
 * @throws BackendError BadRequest (`InvalidQuery`, `InvalidFieldPath`, `InvalidTableName`,
 *   `InvalidIndexName`, `TooManyOperators`) with a message naming what was expected and what was
 *   received.
 */
export function parseQueryPlan(json: unknown): QueryPlan {
  const query = expectObject(json, "the query");
  const operatorsJson = query["operators"];
  if (!Array.isArray(operatorsJson))
    throw invalidQuery("`operators` must be an array");
  if (operatorsJson.length > MAX_QUERY_OPERATORS) {
    throw badRequest(
      "TooManyOperators",
      `Query has ${operatorsJson.length} operators, more than the maximum of ${MAX_QUERY_OPERATORS}.`,
    );
  }
  return {
    source: parseSource(expectObject(query["source"], "`source`")),
    operators: operatorsJson.map(parseOperator),
  };
}

function parseSource(source: Record<string, unknown>): QuerySource {
  switch (source["type"]) {
    case "FullTableScan":
      return {
        type: "FullTableScan",
        tableName: parseTableName(source["tableName"]),
        order: parseOrder(source["order"]),
      };
    case "IndexRange": {
      const { tableName, indexName } = parseIndexName(source["indexName"]);
      const range = source["range"];
      if (!Array.isArray(range))
        throw invalidQuery("`source.range` must be an array");
      const order = parseOrder(source["order"]);
      return {
        type: "IndexRange",
        tableName,
        indexName,
        range: range.map(parseRange),
        order,
      };
    }
    case "Search": {
      const { tableName, indexName } = parseIndexName(source["indexName"]);
      const filters = source["filters"];
      if (!Array.isArray(filters))
        throw invalidQuery("`source.filters` must be an array");
      return {
        type: "Search",
        tableName,
        indexName,
        filters: filters.map(parseSearchFilter),
      };
    }
    default:
      throw invalidQuery(
        `\`source.type\` must be "FullTableScan", "IndexRange" or "Search", received ` +
          JSON.stringify(source["type"] ?? null),
      );
  }
}

function parseRange(json: unknown): RangeExpression {
  const range = expectObject(json, "an index range expression");
  const type = range["type"];
  if (typeof type !== "string" || !RANGE_COMPARISONS.has(type)) {
    throw invalidQuery(
      `index range expression type must be one of Eq, Gt, Gte, Lt, Lte, received ${JSON.stringify(type ?? null)}`,
    );
  }
  return {
    type: type as RangeComparison,
    fieldPath: parseFieldPath(expectString(range["fieldPath"], "`fieldPath`")),
    value: parseLiteral(expectPresent(range, "value")),
  };
}

function parseSearchFilter(json: unknown): SearchFilter {
  const filter = expectObject(json, "a search filter");
  const fieldPath = parseFieldPath(
    expectString(filter["fieldPath"], "`fieldPath`"),
  );
  switch (filter["type"]) {
    case "Search":
      return {
        type: "Search",
        fieldPath,
        value: expectString(filter["value"], "search `value`"),
      };
    case "Eq":
      return {
        type: "Eq",
        fieldPath,
        value: parseLiteral(expectPresent(filter, "value")),
      };
    default:
      throw invalidQuery(
        `search filter type must be "Search" or "Eq", received ${JSON.stringify(filter["type"] ?? null)}`,
      );
  }
}

function parseOperator(json: unknown): QueryOperator {
  const operator = expectObject(json, "an operator");
  const keys = Object.keys(operator);
  if (keys.length === 1 && keys[0] === "filter") {
    return { type: "filter", expression: parseExpression(operator["filter"]) };
  }
  if (keys.length === 1 && keys[0] === "limit") {
    const limit = operator["limit"];
    if (
      typeof limit !== "number" ||
      !Number.isSafeInteger(limit) ||
      limit < 0
    ) {
      throw invalidQuery(
        `\`limit\` must be a non-negative integer, received ${JSON.stringify(limit)}`,
      );
    }
    return { type: "limit", limit };
  }
  throw invalidQuery(
    `an operator must be {"filter": …} or {"limit": n}, received keys [${keys.join(", ")}]`,
  );
}

function parseOrder(order: unknown): Order {
  if (order === undefined || order === null || order === "asc") return "asc";
  if (order === "desc") return "desc";
  throw invalidQuery(
    `expected "asc" or "desc" for \`order\`, received ${JSON.stringify(order)}`,
  );
}

function parseTableName(json: unknown): string {
  const name = expectString(json, "`tableName`");
  validateIdentifier(name, "table");
  return name;
}

function parseIndexName(json: unknown): {
  tableName: string;
  indexName: string;
} {
  const name = expectString(json, "`indexName`");
  const parts = name.split(".");
  const [tableName, indexName] = parts;
  if (
    parts.length !== 2 ||
    tableName === undefined ||
    indexName === undefined
  ) {
    throw invalidQuery(
      `invalid index name ${JSON.stringify(name)}: expected "<table>.<index>"`,
    );
  }
  validateIdentifier(tableName, "table");
  validateIdentifier(indexName, "index");
  return { tableName, indexName };
}

/**
 * A canonical JSON form of a plan: equal plans give equal JSON text under `JSON.stringify`.
 * Used to fingerprint queries for cursors, never sent to clients.
 */
export function serializeQueryPlan(plan: QueryPlan): JsonValue {
  return {
    source: serializeSource(plan.source),
    operators: plan.operators.map((op) =>
      op.type === "limit"
        ? { limit: op.limit }
        : { filter: serializeExpression(op.expression) },
    ),
  };
}

function serializeSource(source: QuerySource): JsonValue {
  switch (source.type) {
    case "FullTableScan":
      return {
        type: source.type,
        tableName: source.tableName,
        order: source.order,
      };
    case "IndexRange":
      return {
        type: source.type,
        indexName: `${source.tableName}.${source.indexName}`,
        range: source.range.map((r) => ({
          type: r.type,
          fieldPath: formatFieldPath(r.fieldPath),
          value: serializeValue(r.value),
        })),
        order: source.order,
      };
    case "Search":
      return {
        type: source.type,
        indexName: `${source.tableName}.${source.indexName}`,
        filters: source.filters.map((f) => ({
          type: f.type,
          fieldPath: formatFieldPath(f.fieldPath),
          value: f.type === "Search" ? f.value : serializeValue(f.value),
        })),
      };
    default:
      return source satisfies never;
  }
}

function serializeExpression(expression: Expression): JsonValue {
  switch (expression.type) {
    case "field":
      return { $field: formatFieldPath(expression.path) };
    case "literal":
      return { $literal: serializeValue(expression.value) };
    case "neg":
    case "not":
      return {
        [`$${expression.type}`]: serializeExpression(expression.operand),
      };
    case "and":
    case "or":
      return {
        [`$${expression.type}`]: expression.operands.map(serializeExpression),
      };
    default:
      return {
        [`$${expression.type}`]: [
          serializeExpression(expression.left),
          serializeExpression(expression.right),
        ],
      };
  }
}

function serializeValue(value: Value | undefined): JsonValue {
  return value === undefined ? { $undefined: null } : convexToJson(value);
}

function expectObject(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidQuery(`${what} must be an object`);
  }
  return json as Record<string, unknown>;
}

function expectString(json: unknown, what: string): string {
  if (typeof json !== "string") {
    throw invalidQuery(
      `${what} must be a string, received ${JSON.stringify(json ?? null)}`,
    );
  }
  return json;
}

function expectPresent(object: Record<string, unknown>, key: string): unknown {
  if (!(key in object)) throw invalidQuery(`missing \`${key}\``);
  return object[key];
}

function invalidQuery(reason: string): BackendError {
  return badRequest("InvalidQuery", `Invalid query: ${reason}.`);
}
