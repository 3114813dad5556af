/**
 * The host side of the database syscalls of queries and mutations (`1.0/get`, `1.0/insert`,
 * `1.0/queryStreamNext`, `1.0/queryPage`, …), run against the invocation's engine transaction.
 * Arguments and results are convex-JSON; the engine works on JavaScript values.
 */
import { badRequest } from "../errors/backend-error.js";
import {
  parseQueryPageArgs,
  runQueryPage,
  type QueryPageArgs,
} from "../engine/query/pagination.js";
import { parseQueryPlan } from "../engine/query/query-plan.js";
import {
  openQueryStream,
  type QueryStream,
} from "../engine/query/query-stream.js";
import type { CursorCodec } from "../engine/query/cursor.js";
import type { Transaction } from "../engine/transaction.js";
import {
  convexToJson,
  jsonToConvex,
  jsonToConvexOrUndefined,
} from "../values/json.js";
import type { JsonValue, ObjectValue, Value } from "../values/value.js";
import { userVisibleDocument } from "./file-storage.js";
import { QUERY_DONE_JSON } from "./sandbox/convex-global.js";
import type { SyscallReply } from "./sandbox/invocation.js";

/** Per-invocation database state beyond the transaction: open query streams, pagination. */
export class DatabaseSyscalls {
  readonly #tx: Transaction;
  readonly #cursors: CursorCodec;
  readonly #canWrite: boolean;
  readonly #streams = new Map<number, QueryStream>();
  /** The journal of the previous run (reactive pagination), if any. */
  readonly #previousJournal: string | null;
  #paginated = false;
  /** The end cursor of this run's `.paginate()`, for the next run. */
  journal: string | null = null;

  constructor(
    tx: Transaction,
    cursors: CursorCodec,
    options: { canWrite: boolean; journal: string | null },
  ) {
    this.#tx = tx;
    this.#cursors = cursors;
    this.#canWrite = options.canWrite;
    this.#previousJournal = options.journal;
  }

  /** Answers `op` when it is a database op; returns undefined for other ops. */
  handle(
    op: string,
    args: Record<string, unknown>,
  ): Promise<string | SyscallReply> | undefined {
    switch (op) {
      case "1.0/get":
        return this.#get(args);
      case "1.0/insert":
        return this.#insert(args);
      case "1.0/shallowMerge":
        return this.#patch(args);
      case "1.0/replace":
        return this.#replace(args);
      case "1.0/remove":
        return this.#remove(args);
      case "1.0/queryStreamNext":
        return this.#queryStreamNext(args);
      case "1.0/queryPage":
        return this.#queryPage(args);
      case "1.0/count":
        return this.#tx.count(stringArg(args, "table")).then(String);
      case "1.0/getTransactionMetrics":
        return Promise.resolve(JSON.stringify(this.#metrics()));
      default:
        return undefined;
    }
  }

  /** `1.0/db/normalizeId`, answered synchronously. */
  normalizeId(args: Record<string, unknown>): string {
    const id = this.#tx.normalizeId(
      stringArg(args, "table"),
      stringArg(args, "idString"),
    );
    return JSON.stringify({ id });
  }

  /** `1.0/queryCleanup` for a stream the host opened. Idempotent. */
  cleanupQuery(args: Record<string, unknown>): void {
    const queryId = Number(args["queryId"]);
    this.#streams.get(queryId)?.close();
    this.#streams.delete(queryId);
  }

  /** Closes every open stream (the invocation ended). */
  close(): void {
    for (const stream of this.#streams.values()) stream.close();
    this.#streams.clear();
  }

  async #get(args: Record<string, unknown>): Promise<string> {
    const document = await this.#tx.get(stringArg(args, "id"), {
      table: optionalString(args, "table"),
      isSystem: args["isSystem"] === true,
    });
    return document === null
      ? "null"
      : JSON.stringify(convexToJson(userVisibleDocument(this.#tx, document)));
  }

  async #insert(args: Record<string, unknown>): Promise<string> {
    this.#assertWritable();
    const value = objectArg(args, "value");
    const id = await this.#tx.insert(stringArg(args, "table"), value);
    return JSON.stringify({ _id: id });
  }

  async #patch(args: Record<string, unknown>): Promise<string> {
    this.#assertWritable();
    const raw = args["value"];
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw badRequest("InvalidArgument", "The patch value must be an object.");
    }
    const value: ObjectValue = {};
    for (const [key, field] of Object.entries(
      raw as Record<string, JsonValue>,
    )) {
      value[key] = jsonToConvexOrUndefined(field);
    }
    await this.#tx.patch(stringArg(args, "id"), value, {
      table: optionalString(args, "table"),
    });
    return "null";
  }

  async #replace(args: Record<string, unknown>): Promise<string> {
    this.#assertWritable();
    await this.#tx.replace(stringArg(args, "id"), objectArg(args, "value"), {
      table: optionalString(args, "table"),
    });
    return "null";
  }

  async #remove(args: Record<string, unknown>): Promise<string> {
    this.#assertWritable();
    await this.#tx.delete(stringArg(args, "id"), {
      table: optionalString(args, "table"),
    });
    return "null";
  }

  async #queryStreamNext(args: Record<string, unknown>): Promise<SyscallReply> {
    const queryId = Number(args["queryId"]);
    let stream = this.#streams.get(queryId);
    if (stream === undefined) {
      if (args["query"] === undefined)
        throw new Error("in-progress query not found");
      stream = openQueryStream(this.#tx, parseQueryPlan(args["query"]));
      this.#streams.set(queryId, stream);
    }
    const document = await stream.next();
    if (document === null) {
      stream.close();
      this.#streams.delete(queryId);
      return { result: QUERY_DONE_JSON };
    }
    const visible = userVisibleDocument(this.#tx, document);
    const result = `{"value":${JSON.stringify(convexToJson(visible))},"done":false}`;
    return stream.atEnd() ? { result, atEnd: true } : { result };
  }

  /** `QUERY_STREAM_FINISH`: the sandbox answered the stream's last `queryStreamNext` itself. */
  finishQuery(args: Record<string, unknown>): void {
    const queryId = Number(args["queryId"]);
    this.#streams.get(queryId)?.finish();
    this.#streams.delete(queryId);
  }

  async #queryPage(args: Record<string, unknown>): Promise<string> {
    if (this.#paginated) {
      throw badRequest(
        "MultiplePaginatedDatabaseQueries",
        "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.",
      );
    }
    this.#paginated = true;
    const parsed = parseQueryPageArgs(args);
    const result = await this.#runPage(parsed);
    this.journal = result.continueCursor;
    return JSON.stringify({
      page: result.page.map((document) =>
        convexToJson(userVisibleDocument(this.#tx, document)),
      ),
      isDone: result.isDone,
      continueCursor: result.continueCursor,
      splitCursor: result.splitCursor,
      pageStatus: result.pageStatus,
    });
  }

  /** A re-run of a paginated subscription keeps the page end it had (Convex's journal). */
  async #runPage(args: QueryPageArgs) {
    const journal = this.#previousJournal;
    if (args.endCursor !== null || journal === null) {
      return runQueryPage(this.#tx, this.#cursors, args);
    }
    try {
      this.#cursors.decode(journal);
    } catch {
      return runQueryPage(this.#tx, this.#cursors, args);
    }
    return runQueryPage(this.#tx, this.#cursors, {
      ...args,
      endCursor: journal,
    });
  }

  #metrics(): Record<string, { used: number; remaining: number }> {
    const engine = this.#tx.metrics();
    const none = { used: 0, remaining: 0 };
    return {
      ...engine,
      functionsScheduled: none,
      scheduledFunctionArgsBytes: none,
      filesWritten: none,
      fileWriteBytes: none,
      filesRead: none,
      fileReadBytes: none,
    };
  }

  #assertWritable(): void {
    if (!this.#canWrite) {
      throw badRequest(
        "ReadOnlyTransaction",
        "Queries can't write to the database.",
      );
    }
  }
}

function stringArg(args: Record<string, unknown>, key: string): string {
  const value = args[key];
  if (typeof value !== "string") {
    throw badRequest("InvalidArgument", `Expected \`${key}\` to be a string.`);
  }
  return value;
}

function optionalString(
  args: Record<string, unknown>,
  key: string,
): string | undefined {
  const value = args[key];
  return value === undefined || value === null
    ? undefined
    : stringArg(args, key);
}

function objectArg(args: Record<string, unknown>, key: string): ObjectValue {
  const value: Value = jsonToConvex(args[key] as JsonValue);
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    value instanceof ArrayBuffer
  ) {
    throw badRequest("InvalidArgument", `Expected \`${key}\` to be an object.`);
  }
  return value as ObjectValue;
}
