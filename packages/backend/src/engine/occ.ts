/**
 * Re-running transactions after OCC conflicts: bounded exponential backoff with jitter through
 * the injected clock, then Convex's OCC error.
 */
import { BackendError } from "../errors/backend-error.js";
import type { CommitResult } from "./committer.js";

export interface OccRetryOptions {
  /** Re-runs after the first attempt; the transaction runs at most `maxRetries + 1` times. */
  readonly maxRetries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * Convex retries 4 times from 100 ms up to 2 s (`UDF_EXECUTOR_OCC_*`), tuned for a distributed
 * deployment. A single-node committer settles a conflict within one group write (a few ms), so we
 * start lower and allow more retries: a hot document with dozens of concurrent writers still
 * converges, while the worst case stays bounded (about 5 s of total backoff).
 */
export const DEFAULT_OCC_RETRY: OccRetryOptions = {
  maxRetries: 16,
  initialBackoffMs: 4,
  maxBackoffMs: 500,
};

/**
 * The backoff before retry number `attempt` (0-based): `initial · 2^attempt`, capped, scaled by
 * a jitter factor in [0.5, 1) drawn from `random` so contenders spread out.
 */
export function occBackoffMs(
  options: OccRetryOptions,
  attempt: number,
  random: () => number,
): number {
  const base = Math.min(
    options.maxBackoffMs,
    options.initialBackoffMs * 2 ** attempt,
  );
  return base * (0.5 + random() / 2);
}

/** The error surfaced when every attempt conflicted. */
export function occError(
  conflict: Extract<CommitResult, { type: "conflict" }>,
): BackendError {
  const message =
    conflict.table === null
      ? "Data read by this mutation changed while it was being run and on every subsequent retry " +
        "(its snapshot became too old to validate). See https://docs.convex.dev/error#1"
      : `Documents read from or written to the "${conflict.table}" table changed while this ` +
        "mutation was being run and on every subsequent retry. Another call to this mutation " +
        `changed the document with ID "${conflict.id}". See https://docs.convex.dev/error#1`;
  return new BackendError(
    "OCC",
    "OptimisticConcurrencyControlFailure",
    message,
  );
}
