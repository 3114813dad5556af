/**
 * The sync layer's composition: one `QueryHub` and one `MutationLedger` per process, and a
 * `SyncSession` per socket. Transports (`ws-transport.ts`) create sessions here.
 */
import { MutationLedger } from "./mutation-ledger.js";
import { QueryHub, type QueryHubOptions } from "./query-hub.js";
import type { SyncDeps } from "./sync-deps.js";
import {
  type SessionContext,
  SyncSession,
  type Transport,
} from "./sync-session.js";

export interface SyncServerOptions {
  readonly hub?: QueryHubOptions | undefined;
}

export class SyncServer {
  readonly #context: SessionContext;
  readonly #sessions = new Set<SyncSession>();

  /** Starts following `deps.database`'s commits at once. */
  constructor(deps: SyncDeps, options: SyncServerOptions = {}) {
    this.#context = {
      deps,
      hub: new QueryHub(deps, options.hub),
      ledger: new MutationLedger(),
    };
  }

  /** The shared query hub (for metrics and tests). */
  get hub(): QueryHub {
    return this.#context.hub;
  }

  /** The number of open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * A session for one new socket. The transport must call `session.close()` (or `endSession`)
   * when the socket closes, and feed every text frame to `session.handleFrame`.
   */
  createSession(transport: Transport): SyncSession {
    const session = new SyncSession(this.#context, {
      send: (text) => transport.send(text),
      close: (code, reason) => {
        this.#sessions.delete(session);
        transport.close(code, reason);
      },
    });
    this.#sessions.add(session);
    return session;
  }

  /** The socket of `session` closed. */
  endSession(session: SyncSession): void {
    this.#sessions.delete(session);
    session.close();
  }

  /**
   * Re-runs every subscribed query; call after a deploy activates new code, so live clients
   * see the new code's results (only changed results are sent).
   */
  rerunAllQueries(): void {
    this.#context.hub.rerunAll();
  }

  /** Sends Pings to idle sessions and closes silent ones; call every few seconds. */
  heartbeat(nowMs: number): void {
    for (const session of this.#sessions) session.heartbeat(nowMs);
  }

  /** Stops following commits and ends every session's subscriptions. */
  close(): void {
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
    this.#context.hub.close();
  }
}
