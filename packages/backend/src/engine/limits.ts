/**
 * Per-transaction limits and their accounting, with Convex's figures
 * (`crates/common/src/knobs.rs`: `TRANSACTION_MAX_READ_SIZE_ROWS`, `…_READ_SIZE_BYTES`,
 * `TRANSACTION_MAX_READ_SET_INTERVALS`, `TRANSACTION_MAX_NUM_USER_WRITES`,
 * `TRANSACTION_MAX_USER_WRITE_SIZE_BYTES`).
 */
import { BackendError } from "../errors/backend-error.js";

export interface TransactionLimits {
  readonly maxDocumentsRead: number;
  readonly maxBytesRead: number;
  /** Index ranges a transaction may read (each `get` and each scan is one). */
  readonly maxReadIntervals: number;
  readonly maxDocumentsWritten: number;
  readonly maxBytesWritten: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_TRANSACTION_LIMITS: TransactionLimits = {
  maxDocumentsRead: 32_000,
  maxBytesRead: 16 * MIB,
  maxReadIntervals: 4096,
  maxDocumentsWritten: 16_000,
  maxBytesWritten: 16 * MIB,
};

/** `{ used, remaining }` per limit, the shape of `1.0/getTransactionMetrics`. */
export interface LimitUsage {
  readonly used: number;
  readonly remaining: number;
}

export interface TransactionMetrics {
  readonly bytesRead: LimitUsage;
  readonly documentsRead: LimitUsage;
  readonly databaseQueries: LimitUsage;
  readonly bytesWritten: LimitUsage;
  readonly documentsWritten: LimitUsage;
}

const ADVICE =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.";

/** Counts what a transaction read and wrote, and throws Convex's error when a limit is passed. */
export class LimitTracker {
  readonly #limits: TransactionLimits;
  #documentsRead = 0;
  #bytesRead = 0;
  #intervals = 0;
  #documentsWritten = 0;
  #bytesWritten = 0;

  constructor(limits: TransactionLimits) {
    this.#limits = limits;
  }

  /** Counts one index range (a `get` or a scan); throws past `maxReadIntervals`. */
  addInterval(): void {
    this.#intervals += 1;
    if (this.#intervals > this.#limits.maxReadIntervals) {
      throw new BackendError(
        "BadRequest",
        "TooManyReads",
        `Too many reads in a single function execution (limit: ${this.#limits.maxReadIntervals}). ${ADVICE}`,
      );
    }
  }

  /** Counts one document of `size` bytes read; throws past either read limit. */
  addRead(size: number): void {
    this.#documentsRead += 1;
    this.#bytesRead += size;
    if (this.#documentsRead > this.#limits.maxDocumentsRead) {
      throw new BackendError(
        "BadRequest",
        "TooManyDocumentsRead",
        `Too many documents read in a single function execution (limit: ${this.#limits.maxDocumentsRead}). ${ADVICE}`,
      );
    }
    if (this.#bytesRead > this.#limits.maxBytesRead) {
      throw new BackendError(
        "BadRequest",
        "TooManyBytesRead",
        `Too many bytes read in a single function execution (limit: ${this.#limits.maxBytesRead} bytes). ${ADVICE}`,
      );
    }
  }

  /**
   * Counts one write of `size` bytes; `newDocument` is false when the document was already
   * written earlier in the transaction. Throws past either write limit.
   */
  addWrite(size: number, newDocument: boolean): void {
    if (newDocument) this.#documentsWritten += 1;
    this.#bytesWritten += size;
    if (this.#documentsWritten > this.#limits.maxDocumentsWritten) {
      throw new BackendError(
        "BadRequest",
        "TooManyWrites",
        `Too many writes in a single function execution (limit: ${this.#limits.maxDocumentsWritten}). Consider splitting the work across several mutations.`,
      );
    }
    if (this.#bytesWritten > this.#limits.maxBytesWritten) {
      throw new BackendError(
        "BadRequest",
        "TooManyBytesWritten",
        `Too many bytes written in a single function execution (limit: ${this.#limits.maxBytesWritten} bytes). Consider splitting the work across several mutations.`,
      );
    }
  }

  metrics(): TransactionMetrics {
    const usage = (used: number, limit: number): LimitUsage => ({
      used,
      remaining: Math.max(0, limit - used),
    });
    return {
      bytesRead: usage(this.#bytesRead, this.#limits.maxBytesRead),
      documentsRead: usage(this.#documentsRead, this.#limits.maxDocumentsRead),
      databaseQueries: usage(this.#intervals, this.#limits.maxReadIntervals),
      bytesWritten: usage(this.#bytesWritten, this.#limits.maxBytesWritten),
      documentsWritten: usage(
        this.#documentsWritten,
        this.#limits.maxDocumentsWritten,
      ),
    };
  }
}
