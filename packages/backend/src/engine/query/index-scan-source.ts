/**
 * The source stage of a query: one index interval read in order through an `IndexReader`,
 * narrowed by optional pagination cursors, counting the rows and bytes it scans (before any
 * filter) and enforcing the page's `maximumRowsRead` / `maximumBytesRead`. Mirrors the
 * `IndexRange` query stream of convex-backend (`crates/database/src/query/index_range.rs`).
 */
import { BackendError } from "../../errors/backend-error.js";
import type { KeyInterval, Order } from "../../storage/persistence.js";
import { compareKeys } from "../../values/index-key.js";
import type { CursorPosition } from "./cursor.js";
import type {
  IndexReader,
  IndexScanItem,
  IndexScanIterator,
  ResolvedIndex,
} from "./index-reader.js";
import { isEmptyInterval } from "./index-range.js";

/** Transaction-wide read limits (`TRANSACTION_MAX_READ_SIZE_ROWS` / `_BYTES` in Convex). */
export const TRANSACTION_MAX_READ_ROWS = 32_000;
export const TRANSACTION_MAX_READ_BYTES = 16 * 1024 * 1024;

/** Pagination bounds and limits for a source. All optional: a plain query uses none. */
export interface ScanBounds {
  /** Resume strictly after this position (the start cursor); `end` yields nothing. */
  readonly startAfter?: CursorPosition | null | undefined;
  /** Stop after this position, inclusive (the end cursor). Disables the two maximums. */
  readonly endAt?: CursorPosition | null | undefined;
  /** Refuse to scan more rows than this (a `PaginationLimit` error from `next()`). */
  readonly maximumRowsRead?: number | null | undefined;
  /** Refuse to scan on once this many bytes were scanned (a `PaginationLimit` error). */
  readonly maximumBytesRead?: number | null | undefined;
  /** Remember every scanned position so that `splitPosition` can name a middle one. */
  readonly trackSplitPosition?: boolean | undefined;
}

/** The source stage a `QueryStream` pulls from: an index scan or a search. */
export interface RowSource {
  /** Where the source stands: what `continueCursor` encodes (see `IndexScanSource.position`). */
  readonly position: CursorPosition | null;
  /** A middle position of the rows produced, for `splitCursor`; null when untracked or too few. */
  readonly splitPosition: CursorPosition | null;
  /** True past three quarters of the page's maximums or of the transaction's read limits. */
  isApproachingDataLimit(): boolean;
  /** The next row, or null at the end. */
  next(): Promise<IndexScanItem | null>;
  /** True when the next `next()` would return null without reading storage. */
  atEnd(): boolean;
  /** Ends the source as a `next()` at its end does (call only when `atEnd()`). */
  finish(): void;
  /** Stops early; idempotent. */
  close(): void;
}

/** Reads one interval of one index; see the module comment. */
export class IndexScanSource implements RowSource {
  readonly #reader: IndexReader;
  readonly #index: ResolvedIndex;
  readonly #interval: KeyInterval;
  readonly #order: Order;
  readonly #bounds: ScanBounds;
  readonly #scannedKeys: Uint8Array[] | null;
  #iterator: IndexScanIterator | null = null;
  #position: CursorPosition | null;
  #done: boolean;
  #rowsRead = 0;
  #bytesRead = 0;

  constructor(
    reader: IndexReader,
    index: ResolvedIndex,
    interval: KeyInterval,
    order: Order,
    bounds: ScanBounds,
  ) {
    this.#reader = reader;
    this.#index = index;
    this.#order = order;
    this.#bounds = bounds;
    this.#interval = narrowInterval(interval, order, bounds);
    this.#position = bounds.startAfter ?? null;
    this.#done = bounds.startAfter?.type === "end";
    this.#scannedKeys = bounds.trackSplitPosition ? [] : null;
  }

  /** Rows scanned so far (before filters). */
  get rowsRead(): number {
    return this.#rowsRead;
  }

  /** Bytes of the documents scanned so far (before filters). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /**
   * The position after the last scanned row; `end` once the interval is exhausted (or the end
   * cursor when one was given); the start cursor, or null, before anything was scanned.
   */
  get position(): CursorPosition | null {
    return this.#position;
  }

  /** A position in the middle of the scanned rows, when tracking and more than two were scanned. */
  get splitPosition(): CursorPosition | null {
    return middlePosition(this.#scannedKeys);
  }

  /**
   * True past three quarters of the page's maximums, or of the transaction's read limits when
   * the page has none (Convex's `is_approaching_data_limit`).
   */
  isApproachingDataLimit(): boolean {
    return approachingDataLimit(this.#bounds, this.#rowsRead, this.#bytesRead);
  }

  /**
   * The next row in index order, or null when the interval is exhausted.
   *
   * @throws BackendError PaginationLimit (`QueryScannedTooMuchDataError`,
   *   `QueryScannedTooManyDocumentsError`) when a page maximum is reached and more rows may
   *   follow; the reader's own limit errors pass through.
   */
  async next(): Promise<IndexScanItem | null> {
    if (this.#done) return null;
    checkPageLimits(this.#bounds, this.#rowsRead, this.#bytesRead);
    if (this.#iterator === null) {
      if (isEmptyInterval(this.#interval)) return this.#finish();
      this.#iterator = this.#reader.scan(
        this.#index,
        this.#interval,
        this.#order,
      );
    }
    const result = await this.#iterator.next();
    if (result.done) return this.#finish();
    const item = result.value;
    this.#rowsRead += 1;
    this.#bytesRead += item.size;
    this.#position = { type: "after", key: item.key };
    this.#scannedKeys?.push(item.key);
    return item;
  }

  /**
   * True when the next `next()` would return null without reading storage, provided nothing is
   * written before it. False whenever unsure (not started, page maximums in force).
   */
  atEnd(): boolean {
    if (this.#done) return true;
    const { maximumBytesRead, maximumRowsRead } = this.#bounds;
    if (maximumBytesRead != null || maximumRowsRead != null) return false;
    return this.#iterator?.atEnd?.() ?? false;
  }

  /** Ends the scan as a `next()` at its end does (call only when `atEnd()`). */
  finish(): void {
    if (this.#done) return;
    this.#iterator?.finish?.();
    this.#finish();
  }

  /** Stops the scan early; idempotent. */
  close(): void {
    this.#done = true;
    const iterator = this.#iterator;
    this.#iterator = null;
    // Releasing a scan cannot change any result already returned, and close() is synchronous
    // with no caller to report to, so a failed release is dropped.
    iterator?.return().catch(() => undefined);
  }

  #finish(): null {
    this.#done = true;
    this.#iterator = null;
    this.#position = this.#bounds.endAt ?? { type: "end" };
    return null;
  }
}

/** The position after the middle one of `keys` (rows produced so far), when more than two. */
export function middlePosition(
  keys: readonly Uint8Array[] | null,
): CursorPosition | null {
  if (keys === null || keys.length <= 2) return null;
  const key = keys[Math.floor(keys.length / 2)];
  return key === undefined ? null : { type: "after", key };
}

/**
 * True past three quarters of the page's maximums, or of the transaction's read limits when the
 * page has none (Convex's `is_approaching_data_limit`), after `rows` rows of `bytes` bytes.
 */
export function approachingDataLimit(
  bounds: ScanBounds,
  rows: number,
  bytes: number,
): boolean {
  const maxRows = Math.min(
    bounds.maximumRowsRead ?? Infinity,
    TRANSACTION_MAX_READ_ROWS,
  );
  const maxBytes = Math.min(
    bounds.maximumBytesRead ?? Infinity,
    TRANSACTION_MAX_READ_BYTES,
  );
  return rows > softLimit(maxRows) || bytes > softLimit(maxBytes);
}

/**
 * Throws when a page maximum is reached after `rows` rows of `bytes` bytes and more rows may
 * follow. With an end cursor the whole (cursor, endCursor] range must be returned, so the page
 * maximums do not apply.
 */
export function checkPageLimits(
  bounds: ScanBounds,
  rows: number,
  bytes: number,
): void {
  if (bounds.endAt) return;
  const { maximumBytesRead, maximumRowsRead } = bounds;
  if (maximumBytesRead != null && bytes >= maximumBytesRead) {
    throw new BackendError(
      "PaginationLimit",
      "QueryScannedTooMuchDataError",
      `Query scanned too much data (fetched ${bytes} bytes).`,
    );
  }
  if (maximumRowsRead != null && rows >= maximumRowsRead) {
    throw new BackendError(
      "PaginationLimit",
      "QueryScannedTooManyDocumentsError",
      `Query scanned too many documents (fetched ${rows}).`,
    );
  }
}

/** Convex's soft limit: three quarters of the hard one (integer arithmetic). */
export function softLimit(hardLimit: number): number {
  return Math.floor((hardLimit * 3) / 4);
}

/**
 * `interval` restricted to the rows strictly after `startAfter` and up to and including `endAt`,
 * in scan order. Index keys are unique, so "after key k" in ascending order starts at `k ‖ 0x00`,
 * the smallest byte string greater than `k`.
 */
function narrowInterval(
  interval: KeyInterval,
  order: Order,
  bounds: ScanBounds,
): KeyInterval {
  let { start, end } = interval;
  const raiseStart = (key: Uint8Array) => {
    if (compareKeys(key, start) > 0) start = key;
  };
  const lowerEnd = (key: Uint8Array) => {
    if (end === null || compareKeys(key, end) < 0) end = key;
  };
  const after =
    bounds.startAfter?.type === "after" ? bounds.startAfter.key : null;
  const upTo = bounds.endAt?.type === "after" ? bounds.endAt.key : null;
  if (order === "asc") {
    if (after) raiseStart(successor(after));
    if (upTo) lowerEnd(successor(upTo));
  } else {
    if (after) lowerEnd(after);
    if (upTo) raiseStart(upTo);
  }
  return { start, end };
}

function successor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
