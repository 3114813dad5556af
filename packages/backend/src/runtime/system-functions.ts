/**
 * Host-implemented functions under `_system/` (what the CLI and dashboard call: table listings,
 * environment variables, …). The server layers own the handlers; the runtime runs them in a
 * transaction with the same result shape as user functions. Admin callers only.
 */
import type { Database } from "../engine/database.js";
import type { Transaction } from "../engine/transaction.js";
import { convexToJson, jsonToConvex } from "../values/json.js";
import type { JsonValue, Value } from "../values/value.js";
import type { UserIdentity } from "./host-invocation.js";
import type { Execution, ExecutionRequest } from "./udf-executor.js";
import { notFoundMessage } from "./udf-resolution.js";

export interface SystemFunction {
  readonly udfType: "query" | "mutation";
  /** Runs in `ctx.tx`; throws to fail. Returns a Convex value. */
  handler(
    ctx: { tx: Transaction; identity: UserIdentity | null },
    args: Value,
  ): Promise<Value>;
}

/** System functions by canonical path (`"_system/cli/tables.js:default"`). */
export type SystemFunctions = Readonly<Record<string, SystemFunction>>;

/** Runs a `_system/` function (see the module comment). */
export async function runSystemFunction(
  options: {
    readonly database: Database;
    readonly systemFunctions?: SystemFunctions | undefined;
  },
  request: ExecutionRequest,
): Promise<Execution> {
  const { database } = options;
  const fn = request.allowInternal
    ? options.systemFunctions?.[request.udfPath]
    : undefined;
  const failure = (errorMessage: string): Execution => ({
    success: false,
    errorMessage,
    udfType: fn?.udfType ?? "query",
    logLines: [],
    ts: database.latestTs,
  });
  if (fn === undefined)
    return failure(notFoundMessage(request.udfPath, request.allowInternal));
  const argsJson = Array.isArray(request.args)
    ? (request.args[0] ?? {})
    : request.args;
  const call = async (tx: Transaction): Promise<JsonValue> =>
    convexToJson(
      await fn.handler(
        { tx, identity: request.identity },
        jsonToConvex(argsJson),
      ),
    );
  try {
    if (fn.udfType === "mutation") {
      const { value, ts } = await database.runInTransaction(call);
      return { success: true, value, udfType: "mutation", logLines: [], ts };
    }
    const tx = database.begin({ readTs: request.readTs });
    try {
      const value = await call(tx);
      return {
        success: true,
        value,
        udfType: "query",
        logLines: [],
        ts: tx.readTs,
        readSet: tx.readSet,
      };
    } finally {
      tx.close();
    }
  } catch (e) {
    return failure(e instanceof Error ? e.message : String(e));
  }
}
