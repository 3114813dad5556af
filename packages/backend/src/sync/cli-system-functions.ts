/**
 * The `_system/cli/*` queries the official CLI runs over the sync socket as an admin (wire
 * protocol §3.5): `npx convex data [table]`, `env list|get`, `run` (function listing),
 * `function-spec`, and the index-deletion size check of `deploy`. They are host-implemented
 * functions for the runtime's `systemFunctions` option (runtime README "System functions"),
 * keyed by canonical path, run in a transaction like any query, admin callers only.
 */
import type { Transaction } from "../engine/transaction.js";
import { isSystemTableName } from "../engine/catalog.js";
import { badRequest } from "../errors/backend-error.js";
import type { JsonValue, ObjectValue, Value } from "../values/value.js";
import { listEnvironmentVariables } from "./environment-variables.js";
import type { UserIdentity } from "./sync-deps.js";

/** What a system function runs with (the runtime's `SystemFunctions` handler context). */
export interface SystemFunctionContext {
  readonly tx: Transaction;
  readonly identity: UserIdentity | null;
}

/** One host-implemented function (the runtime's `SystemFunctions` entry). */
export interface SystemFunction {
  readonly udfType: "query" | "mutation";
  handler(ctx: SystemFunctionContext, args: Value): Promise<Value>;
}

/** The parts of the deployed app's analysis `modules:apiSpec` lists (runtime `AppAnalysis`). */
export interface ApiSpecSource {
  readonly modules: Readonly<
    Record<
      string,
      {
        readonly functions: readonly {
          readonly name: string;
          readonly udfType: "query" | "mutation" | "action" | "httpAction";
          readonly visibility: "public" | "internal" | null;
          readonly args: string | null;
          readonly returns: string | null;
        }[];
      }
    >
  >;
  readonly httpRoutes:
    readonly { readonly path: string; readonly method: string }[] | null;
}

export interface CliSystemFunctionDeps {
  /** The active deployment's analysis, null before the first push. */
  analysis(): ApiSpecSource | null;
  /** The deployment's client URL (`_system/cli/convexUrl:cloudUrl`). */
  readonly cloudUrl: string;
}

/** The CLI's system queries, keyed by canonical path (`"_system/cli/tables.js:default"`). */
export function createCliSystemFunctions(
  deps: CliSystemFunctionDeps,
): Record<string, SystemFunction> {
  return {
    "_system/cli/tables.js:default": query((ctx) =>
      Promise.resolve(listTables(ctx.tx)),
    ),
    "_system/cli/tableData.js:default": query((ctx, args) =>
      tableData(ctx.tx, args),
    ),
    "_system/cli/tableSize.js:default": query((ctx, args) =>
      ctx.tx.count(stringField(args, "tableName")),
    ),
    "_system/cli/queryEnvironmentVariables.js:default": query(async (ctx) =>
      (await listEnvironmentVariables(ctx.tx)).map((v) => ({ ...v })),
    ),
    "_system/cli/queryEnvironmentVariables.js:get": query(async (ctx, args) => {
      const name = stringField(args, "name");
      const found = (await listEnvironmentVariables(ctx.tx)).find(
        (v) => v.name === name,
      );
      return found === undefined ? null : { ...found };
    }),
    "_system/cli/modules.js:apiSpec": query(() =>
      Promise.resolve(apiSpec(deps.analysis())),
    ),
    "_system/cli/convexUrl.js:cloudUrl": query(() =>
      Promise.resolve(deps.cloudUrl),
    ),
  };
}

function query(handler: SystemFunction["handler"]): SystemFunction {
  return { udfType: "query", handler };
}

/** `{page: [{name}], isDone, continueCursor}` over the user tables (one page holds them all). */
function listTables(tx: Transaction): Value {
  const names = tx.catalog
    .tables()
    .map((t) => t.name)
    .filter((name) => !isSystemTableName(name))
    .sort();
  return {
    page: names.map((name) => ({ name })),
    isDone: true,
    continueCursor: "end",
  };
}

async function tableData(tx: Transaction, args: Value): Promise<Value> {
  const table = stringField(args, "table");
  const order = fieldOf(args, "order") === "asc" ? "asc" : "desc";
  const opts = fieldOf(args, "paginationOpts");
  const cursor = fieldOf(opts, "cursor");
  const numItems = fieldOf(opts, "numItems");
  const result = await tx.queryPage({
    query: {
      source: { type: "FullTableScan", tableName: table, order },
      operators: [],
    },
    cursor: typeof cursor === "string" ? cursor : null,
    endCursor: null,
    pageSize: typeof numItems === "number" ? numItems : 100,
    maximumRowsRead: null,
    maximumBytesRead: null,
  });
  return {
    page: result.page,
    isDone: result.isDone,
    continueCursor: result.continueCursor,
  };
}

const FUNCTION_TYPES = {
  query: "Query",
  mutation: "Mutation",
  action: "Action",
} as const;

/** The function list `npx convex run` prints for a missing function, and `function-spec`. */
function apiSpec(analysis: ApiSpecSource | null): Value {
  if (analysis === null) return [];
  const entries: Value[] = [];
  for (const [path, module] of Object.entries(analysis.modules)) {
    for (const fn of module.functions) {
      if (fn.udfType === "httpAction") continue;
      entries.push({
        identifier: `${path}:${fn.name}`,
        functionType: FUNCTION_TYPES[fn.udfType],
        visibility: fn.visibility === null ? null : { kind: fn.visibility },
        args: parseJson(fn.args),
        returns: parseJson(fn.returns),
      });
    }
  }
  for (const route of analysis.httpRoutes ?? []) {
    entries.push({
      functionType: "HttpAction",
      method: route.method,
      path: route.path,
    });
  }
  return entries;
}

function parseJson(text: string | null): Value {
  if (text === null) return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function fieldOf(value: Value | undefined, name: string): Value | undefined {
  if (!isObjectValue(value)) return undefined;
  return value[name];
}

function isObjectValue(value: Value | undefined): value is ObjectValue {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

function stringField(args: Value, name: string): string {
  const value = fieldOf(args, name);
  if (typeof value !== "string") {
    throw badRequest(
      "InvalidArguments",
      `Expected argument \`${name}\` to be a string.`,
    );
  }
  return value;
}
