/**
 * Sub-transactions for nested `ctx.runMutation` calls: Convex runs the callee inside the caller's
 * transaction and rolls back the callee's writes when it fails, so the caller can catch the
 * error and continue.
 */
import type { Transaction } from "../engine/transaction.js";

/** The engine methods sub-transactions need (requested in `engine/README.md`). */
interface SubtransactionSupport {
  beginSubtransaction(): void;
  commitSubtransaction(): void;
  rollbackSubtransaction(): void;
}

export interface Subtransaction {
  commit(): void;
  rollback(): void;
}

/**
 * Starts a sub-transaction of `tx`. When the engine offers no sub-transactions, the callee's
 * writes stay in the caller's transaction even if the callee fails.
 */
export function beginSubtransaction(tx: Transaction): Subtransaction {
  const support = tx as Transaction & Partial<SubtransactionSupport>;
  if (typeof support.beginSubtransaction !== "function") {
    // TODO(issue-3): remove once the engine implements sub-transactions (engine/README.md).
    return { commit: () => {}, rollback: () => {} };
  }
  support.beginSubtransaction();
  return {
    commit: () => support.commitSubtransaction?.(),
    rollback: () => support.rollbackSubtransaction?.(),
  };
}
