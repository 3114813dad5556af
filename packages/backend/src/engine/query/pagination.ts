/**
 * One page of a paginated query: the `1.0/queryPage` syscall contract behind `.paginate()`, with
 * convex-backend's semantics (`query_page` and `read_page_from_query` in
 * `crates/isolate/src/environment/udf/async_syscall.rs`):
 *
 * - without `endCursor`: rows are read until `pageSize` of them pass the query's operators;
 *   `maximumRowsRead` / `maximumBytesRead` count rows scanned before filters, and reaching one
 *   ends the page early with `pageStatus: "SplitRequired"` (and `isDone: false`);
 * - with `endCursor`: `pageSize` and both maximums are ignored and the page is everything in
 *   `(cursor, endCursor]`; `continueCursor` is `endCursor`;
 * - `pageStatus` is `"SplitRecommended"` when the scan passed three quarters of its limits or the
 *   page holds more than 6144 rows; `splitCursor` names a middle position of the scan (or null);
 * - `continueCursor` is always a string; it is the "end" position exactly when `isDone`;
 * - a page ends after the last row it returns: a page that fills up on the last row of the query
 *   is not done, and the next page is empty and done.
 */
import { BackendError, badRequest } from "../../errors/backend-error.js";
import type { Document } from "../../values/value.js";
import {
  cursorFromDifferentQuery,
  sameFingerprint,
  type Cursor,
  type CursorCodec,
  type CursorPosition,
} from "./cursor.js";
import type { IndexReader } from "./index-reader.js";
import { softLimit, TRANSACTION_MAX_READ_ROWS } from "./index-scan-source.js";
import { parseQueryPlan } from "./query-plan.js";
import { openQueryStream, type QueryStream } from "./query-stream.js";

/** The arguments of `1.0/queryPage` (what `.paginate(opts)` sends), parsed. */
export interface QueryPageArgs {
  /** The serialized query JSON, as for `queryStream`. */
  readonly query: unknown;
  readonly cursor: string | null;
  readonly endCursor: string | null;
  readonly pageSize: number;
  readonly maximumRowsRead: number | null;
  readonly maximumBytesRead: number | null;
}

export type PageStatus = "SplitRecommended" | "SplitRequired";

/** What `1.0/queryPage` returns (documents as JavaScript values; the runtime encodes them). */
export interface QueryPageResult {
  readonly page: Document[];
  readonly isDone: boolean;
  readonly continueCursor: string;
  readonly splitCursor: string | null;
  readonly pageStatus: PageStatus | null;
}

/**
 * Pages are returned as arrays, limited to 8192 elements; past three quarters of that a split is
 * recommended (Convex's `SOFT_MAX_PAGE_LEN`).
 */
export const SOFT_MAX_PAGE_LENGTH = softLimit(8192);

/**
 * Parses the JSON arguments of `1.0/queryPage`. Absent optional fields read as null; extra
 * fields (`version`, the client's `id`) are ignored.
 *
 * @throws BackendError BadRequest `InvalidArgument` for wrong types,
 *   `NoDocumentsForPagination` for `pageSize` 0, `PageSizeTooLarge` above 32000,
 *   `InvalidPaginationLimit` for a maximum of 0.
 */
export function parseQueryPageArgs(json: unknown): QueryPageArgs {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidArgument("the arguments must be an object");
  }
  const args = json as Record<string, unknown>;
  const pageSize = expectCount(args["pageSize"], "pageSize");
  if (pageSize === null) throw invalidArgument("`pageSize` is required");
  const parsed: QueryPageArgs = {
    query: args["query"],
    cursor: expectCursor(args["cursor"], "cursor"),
    endCursor: expectCursor(args["endCursor"], "endCursor"),
    pageSize,
    maximumRowsRead: expectCount(args["maximumRowsRead"], "maximumRowsRead"),
    maximumBytesRead: expectCount(args["maximumBytesRead"], "maximumBytesRead"),
  };
  validatePageLimits(parsed);
  return parsed;
}

/**
 * Reads one page through `reader` (see the module comment for the semantics).
 *
 * @throws BackendError BadRequest for a malformed query, bad limits (as `parseQueryPageArgs`),
 *   `InvalidCursor` for a cursor that is malformed or from a different query; filter and reader
 *   errors pass through.
 */
export async function runQueryPage(
  reader: IndexReader,
  codec: CursorCodec,
  args: QueryPageArgs,
): Promise<QueryPageResult> {
  // Convex parses the query before it checks the limits.
  const plan = parseQueryPlan(args.query);
  validatePageLimits(args);
  const start = args.cursor === null ? null : codec.decode(args.cursor);
  const end = args.endCursor === null ? null : codec.decode(args.endCursor);
  const stream = openQueryStream(reader, plan, {
    startAfter: start?.position ?? null,
    endAt: end?.position ?? null,
    maximumRowsRead: args.maximumRowsRead,
    maximumBytesRead: args.maximumBytesRead,
    trackSplitPosition: true,
  });
  try {
    const fingerprint = stream.fingerprint;
    for (const cursor of [start, end]) {
      if (cursor && !sameFingerprint(cursor.fingerprint, fingerprint)) {
        throw cursorFromDifferentQuery();
      }
    }
    const { page, pageStatus } = await readPage(
      stream,
      args.pageSize,
      end !== null,
    );
    // Only a query whose first operator is `limit 0` can stop before the scan moves; it has no
    // more results, so its position is the end (Convex reports an internal error here).
    const position: CursorPosition = end?.position ??
      stream.position ?? { type: "end" };
    const encode = (p: CursorPosition) =>
      codec.encode({ position: p, fingerprint } satisfies Cursor);
    const split = stream.splitPosition;
    return {
      page,
      isDone: position.type === "end",
      continueCursor: encode(position),
      splitCursor: split === null ? null : encode(split),
      pageStatus,
    };
  } finally {
    stream.close();
  }
}

async function readPage(
  stream: QueryStream,
  pageSize: number,
  hasEndCursor: boolean,
): Promise<{ page: Document[]; pageStatus: PageStatus | null }> {
  const page: Document[] = [];
  let pageStatus: PageStatus | null = null;
  while (hasEndCursor || page.length < pageSize) {
    let document: Document | null;
    try {
      document = await stream.next();
    } catch (e) {
      if (e instanceof BackendError && e.code === "PaginationLimit") {
        pageStatus = "SplitRequired";
        break;
      }
      throw e;
    }
    if (document === null) break;
    page.push(document);
  }
  if (
    pageStatus === null &&
    (stream.isApproachingDataLimit() || page.length > SOFT_MAX_PAGE_LENGTH)
  ) {
    pageStatus = "SplitRecommended";
  }
  return { page, pageStatus };
}

function validatePageLimits(args: QueryPageArgs): void {
  if (args.pageSize === 0) {
    throw badRequest(
      "NoDocumentsForPagination",
      "Must request at least 1 document while paginating",
    );
  }
  if (args.pageSize > TRANSACTION_MAX_READ_ROWS) {
    throw badRequest(
      "PageSizeTooLarge",
      `Requested too many items: ${args.pageSize}`,
    );
  }
  if (args.maximumRowsRead === 0 || args.maximumBytesRead === 0) {
    throw badRequest(
      "InvalidPaginationLimit",
      "maximumRowsRead and maximumBytesRead must be greater than 0",
    );
  }
}

function expectCount(json: unknown, name: string): number | null {
  if (json === undefined || json === null) return null;
  if (typeof json !== "number" || !Number.isSafeInteger(json) || json < 0) {
    throw invalidArgument(
      `\`${name}\` must be a non-negative integer, received ${JSON.stringify(json)}`,
    );
  }
  return json;
}

function expectCursor(json: unknown, name: string): string | null {
  if (json === undefined || json === null) return null;
  if (typeof json !== "string") {
    throw invalidArgument(
      `\`${name}\` must be a string or null, received ${JSON.stringify(json)}`,
    );
  }
  return json;
}

function invalidArgument(reason: string): BackendError {
  return badRequest(
    "InvalidArgument",
    `Invalid argument for queryPage: ${reason}.`,
  );
}
