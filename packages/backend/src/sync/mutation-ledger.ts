/**
 * Exactly-once mutations per `(sessionId, requestId)` within this process. A client resends every
 * in-flight mutation (same `requestId`) after a reconnect, including ones already answered but
 * not yet reflected in a Transition; the ledger joins a resend to the running execution or
 * replays the recorded outcome. Across processes and restarts the durable record written in the
 * mutation's own transaction (`SyncDeps.mutationRecords`) is the guarantee; the ledger spares the
 * database lookup in the common case and covers deployments without records.
 */
import type { Timestamp } from "../storage/persistence.js";
import type { MutationRequestKey, SyncFunctionResult } from "./sync-deps.js";

/** A mutation's outcome as the client is told it: the result and, on success, its commit ts. */
export type MutationOutcome = SyncFunctionResult & {
  readonly ts: Timestamp | null;
};

export interface MutationLedgerOptions {
  /**
   * Sessions remembered, least recently used dropped first. A client resends only its own
   * in-flight mutations, so a session that has been quiet this long has nothing left to resend.
   */
  readonly maxSessions?: number | undefined;
  /** Outcomes remembered per session (a client rarely has more than a few in flight). */
  readonly maxPerSession?: number | undefined;
}

const DEFAULT_MAX_SESSIONS = 100_000;
const DEFAULT_MAX_PER_SESSION = 64;

export class MutationLedger {
  readonly #sessions = new Map<string, Map<number, Promise<MutationOutcome>>>();
  readonly #maxSessions: number;
  readonly #maxPerSession: number;

  constructor(options: MutationLedgerOptions = {}) {
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#maxPerSession = options.maxPerSession ?? DEFAULT_MAX_PER_SESSION;
  }

  /**
   * Runs `execute` unless this key already ran or is running, in which case the same outcome is
   * returned. A rejected execution (an infrastructure failure) is forgotten, so a resend runs
   * again.
   */
  run(
    key: MutationRequestKey,
    execute: () => Promise<MutationOutcome>,
  ): Promise<MutationOutcome> {
    const session = this.#session(key.sessionId);
    const known = session.get(key.requestId);
    if (known !== undefined) return known;
    const outcome = execute();
    session.set(key.requestId, outcome);
    outcome.catch(() => {
      if (session.get(key.requestId) === outcome) session.delete(key.requestId);
    });
    while (session.size > this.#maxPerSession) {
      session.delete(session.keys().next().value!);
    }
    return outcome;
  }

  #session(sessionId: string): Map<number, Promise<MutationOutcome>> {
    let session = this.#sessions.get(sessionId);
    if (session !== undefined) {
      this.#sessions.delete(sessionId);
    } else {
      session = new Map();
    }
    this.#sessions.set(sessionId, session);
    while (this.#sessions.size > this.#maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    return session;
  }
}
