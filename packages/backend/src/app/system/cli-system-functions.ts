import { isSystemTableName } from "../../engine/catalog.js";
import { BackendError } from "../../errors/backend-error.js";
import type { Value } from "../../values/value.js";
import type { AppManifest } from "../deployment-manifest.js";
import type {
  SystemFunction,
  SystemFunctions,
} from "../../runtime/system-functions.js";

/*
 * The `_system/cli/*` queries the official CLI runs (wire protocol §3.5): the function listing
 * `npx convex run` prints for a missing function, and the table browsing of `npx convex data`.
 */

const UDF_TYPE_NAMES = {
  query: "Query",
  mutation: "Mutation",
  action: "Action",
} as const;

/** `_system/cli/modules:apiSpec`: every function of the active deployment, for `npx convex run`. */
function apiSpec(manifest: () => AppManifest | null): SystemFunction {
  return {
    udfType: "query",
    handler: () => {
      const analysis = manifest()?.analysis;
      if (analysis === undefined) return Promise.resolve([]);
      const functions: Value[] = Object.values(analysis.modules).flatMap(
        (module) =>
          module.functions.map((f): Value => ({
            identifier: `${module.path}:${f.name}`,
            functionType: UDF_TYPE_NAMES[f.udfType],
            visibility: { kind: f.visibility ?? "public" },
            args: f.args,
            returns: f.returns,
          })),
      );
      const routes: Value[] = (analysis.httpRoutes ?? []).map((route) => ({
        functionType: "HttpAction",
        method: route.method,
        path: route.path,
      }));
      return Promise.resolve([...functions, ...routes]);
    },
  };
}

/** `_system/cli/tables`: the user tables, one page (`npx convex data`). */
const tables: SystemFunction = {
  udfType: "query",
  handler: ({ tx }) => {
    const names = tx.catalog
      .tables()
      .filter((t) => t.docId !== null && !isSystemTableName(t.name))
      .map((t): Value => ({ name: t.name }));
    return Promise.resolve({
      page: names,
      isDone: true,
      continueCursor: "end",
    });
  },
};

/** `_system/cli/tableData`: a page of one table's documents (`npx convex data <table>`). */
const tableData: SystemFunction = {
  udfType: "query",
  handler: async ({ tx }, args) => {
    const { table, order, paginationOpts } = argsObject(args);
    const opts = argsObject(paginationOpts ?? null);
    if (typeof table !== "string") throw badArgs("table must be a string");
    const result = await tx.queryPage({
      query: {
        source: {
          type: "FullTableScan",
          tableName: table,
          order: order === "asc" ? "asc" : "desc",
        },
        operators: [],
      },
      cursor: typeof opts.cursor === "string" ? opts.cursor : null,
      endCursor: null,
      pageSize: typeof opts.numItems === "number" ? opts.numItems : 100,
      maximumRowsRead: null,
      maximumBytesRead: null,
    });
    return {
      page: result.page,
      isDone: result.isDone,
      continueCursor: result.continueCursor,
    };
  },
};

/** `_system/cli/tableSize`: the number of documents in a table. */
const tableSize: SystemFunction = {
  udfType: "query",
  handler: async ({ tx }, args) => {
    const { tableName } = argsObject(args);
    if (typeof tableName !== "string")
      throw badArgs("tableName must be a string");
    return await tx.count(tableName);
  },
};

/**
 * `_system/cli/queryTable`: what `npx convex dev` watches after a push failed on a table's data,
 * to retry once the data changes. Reading the whole table puts all of it in the read set.
 */
const queryTable: SystemFunction = {
  udfType: "query",
  handler: async ({ tx }, args) => {
    const { tableName } = argsObject(args);
    if (typeof tableName !== "string")
      throw badArgs("tableName must be a string");
    return await tx.count(tableName);
  },
};

/** `_system/cli/queryEnvironmentVariables`: every variable as `{name, value}` (`npx convex env list`). */
function listEnvironmentVariables(
  vars: () => Readonly<Record<string, string>>,
): SystemFunction {
  return {
    udfType: "query",
    handler: () =>
      Promise.resolve(
        Object.entries(vars()).map(([name, value]): Value => ({ name, value })),
      ),
  };
}

/** `_system/cli/queryEnvironmentVariables:get`: one variable or null (`npx convex env get`). */
function getEnvironmentVariable(
  vars: () => Readonly<Record<string, string>>,
): SystemFunction {
  return {
    udfType: "query",
    handler: (_ctx, args) => {
      const { name } = argsObject(args);
      if (typeof name !== "string") throw badArgs("name must be a string");
      const value = vars()[name];
      return Promise.resolve(value === undefined ? null : { name, value });
    },
  };
}
/** No snapshot imports exist yet. */
const noImports: SystemFunction = {
  udfType: "query",
  handler: () => Promise.resolve([]),
};

function badArgs(message: string): BackendError {
  return new BackendError(
    "BadRequest",
    "InvalidArgs",
    `Invalid system function arguments: ${message}.`,
  );
}

/** Where the CLI's system functions read the deployment's state. */
export interface CliSystemFunctionSources {
  readonly manifest: () => AppManifest | null;
  readonly environmentVariables: () => Readonly<Record<string, string>>;
}

/** The CLI's system functions over the active deployment and its environment variables. */
export function createCliSystemFunctions(
  sources: CliSystemFunctionSources,
): SystemFunctions {
  const { manifest, environmentVariables } = sources;
  return {
    "_system/cli/modules.js:apiSpec": apiSpec(manifest),
    "_system/cli/tables.js:default": tables,
    "_system/cli/tableData.js:default": tableData,
    "_system/cli/tableSize.js:default": tableSize,
    "_system/cli/queryTable.js:default": queryTable,
    "_system/cli/queryEnvironmentVariables.js:default":
      listEnvironmentVariables(environmentVariables),
    "_system/cli/queryEnvironmentVariables.js:get":
      getEnvironmentVariable(environmentVariables),
    "_system/cli/queryImport.js:list": noImports,
  };
}

/** `args` as an object, or `{}` for anything else. */
function argsObject(args: Value): {
  readonly [key: string]: Value | undefined;
} {
  return typeof args === "object" &&
    args !== null &&
    !Array.isArray(args) &&
    !(args instanceof ArrayBuffer)
    ? (args as { [key: string]: Value | undefined })
    : {};
}
