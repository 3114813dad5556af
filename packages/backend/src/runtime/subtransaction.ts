/**
 * Sub-transactions for nested `ctx.runMutation` calls: Convex runs the callee inside the caller's
 * transaction and rolls back the callee's writes when it fails, so the caller can catch the
 * error and continue.
 */
import type { Transaction } from "../engine/transaction.js";

export interface Subtransaction {
  commit(): void;
  rollback(): void;
}

/** Starts a sub-transaction of `tx`; exactly one of `commit`/`rollback` must follow. */
export function beginSubtransaction(tx: Transaction): Subtransaction {
  tx.beginSubtransaction();
  return {
    commit: () => tx.commitSubtransaction(),
    rollback: () => tx.rollbackSubtransaction(),
  };
}
