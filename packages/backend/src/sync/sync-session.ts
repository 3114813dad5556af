/**
 * One client socket's side of the sync protocol, free of any transport: frames in through
 * `handleFrame`, frames out through the injected `Transport`.
 *
 * States (`SessionPhase`):
 *
 * | phase             | input                     | effect                                              | next              |
 * | ----------------- | ------------------------- | --------------------------------------------------- | ----------------- |
 * | awaitingConnect   | Connect                   | remember sessionId and clock skew                   | open              |
 * | awaitingConnect   | anything else             | FatalError, close                                   | closed            |
 * | open              | ModifyQuerySet            | baseVersion must equal the last newVersion, else    | open (or closed)  |
 * |                   |                           | FatalError; subscribe/release; Transition when ready|                   |
 * | open              | Authenticate              | baseVersion must equal the identity version, else   | open (or closed)  |
 * |                   |                           | FatalError; verify (bad token: AuthError, close);   |                   |
 * |                   |                           | bump identity, re-subscribe every query as the new  |                   |
 * |                   |                           | caller, Transition with the bump when ready         |                   |
 * | open              | Mutation                  | run in order, once per (sessionId, requestId);      | open              |
 * |                   |                           | MutationResponse, then a Transition at >= its ts    |                   |
 * | open              | Action                    | run concurrently; ActionResponse                    | open              |
 * | open              | Event, Connect (again)    | ignored / FatalError, close                         | open / closed     |
 * | any but closed    | malformed frame           | FatalError, close                                   | closed            |
 * | any but closed    | infrastructure failure    | close with the code of `closeFrameFor`              | closed            |
 * | any               | transport closed (`close`)| release every subscription                          | closed            |
 *
 * Version rules kept here: every Transition starts at the previous one's end (the first at
 * {0, 0, 0}); `ts` is the hub's consistent timestamp, which never decreases; after a successful
 * MutationResponse the next Transition is sent once the hub reaches the commit ts (even with no
 * modifications); an accepted Authenticate is confirmed by a Transition that bumps `identity`.
 */
import { BackendError, toBackendError } from "../errors/backend-error.js";
import type { Timestamp } from "../storage/persistence.js";
import { CLOSE_NORMAL, closeFrameFor } from "./close-code.js";
import type { MutationLedger, MutationOutcome } from "./mutation-ledger.js";
import {
  type ActionRequest,
  type Authenticate,
  type ClientMessage,
  type Connect,
  encodeServerMessage,
  type MutationRequest,
  parseClientMessage,
  type QueryId,
  type QuerySetModification,
  type ServerMessage,
  type StateVersion,
} from "./protocol.js";
import {
  type HubClient,
  type QueryCaller,
  type QueryHandle,
  type QueryHub,
  type QueryOutcome,
  type QuerySpec,
} from "./query-hub.js";
import { ANONYMOUS, authenticate } from "./session-auth.js";
import type {
  MutationRequestKey,
  RecordedMutationResult,
  SyncDeps,
} from "./sync-deps.js";
import { encodeTransitionFrames } from "./transition-frames.js";

/** Where a session's frames go. `close` ends the socket; no frame is sent after it. */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export type SessionPhase = "awaitingConnect" | "open" | "closed";

/** The server-wide parts a session works with. */
export interface SessionContext {
  readonly deps: SyncDeps;
  readonly hub: QueryHub;
  readonly ledger: MutationLedger;
}

/** Send a protocol Ping after this long without any other frame (the client gives up at 60 s). */
export const PING_INTERVAL_MS = 15_000;
/** Close a socket that sent nothing for this long (the real server uses 120 s). */
export const CLIENT_INACTIVITY_TIMEOUT_MS = 120_000;

interface LiveQuery {
  readonly spec: QuerySpec;
  handle: QueryHandle;
}

export class SyncSession implements HubClient {
  readonly #context: SessionContext;
  readonly #transport: Transport;
  #phase: SessionPhase = "awaitingConnect";
  #sessionId = "";
  /**
   * Whether the client connected before with this session id (`connectionCount > 0`): only then
   * can a mutation be a resend of one an earlier connection delivered, so only then is its
   * durable record looked up before running it.
   */
  #resumed = false;
  #clockSkewMs: number | undefined;
  #querySetVersion = 0;
  #identityVersion = 0;
  #caller: QueryCaller = ANONYMOUS;
  /** When the current user token expires (epoch ms); checked by `heartbeat`. */
  #authExpiresAtMs: number | null = null;
  readonly #queries = new Map<QueryId, LiveQuery>();
  /** What the client has: the last Transition's end version and the outcomes it carried. */
  #sentVersion: StateVersion = { querySet: 0, identity: 0, ts: 0n };
  readonly #sentOutcomes = new Map<QueryId, QueryOutcome>();
  /** The highest commit ts answered in a MutationResponse and not yet followed by a Transition. */
  #ackTs: Timestamp | null = null;
  #inbound: Promise<void> = Promise.resolve();
  #mutations: Promise<void> = Promise.resolve();
  #lastSentMs: number;
  #lastReceivedMs: number;
  #transitionCount = 0;

  constructor(context: SessionContext, transport: Transport) {
    this.#context = context;
    this.#transport = transport;
    this.#lastSentMs = this.#lastReceivedMs = context.deps.clock.now();
  }

  get phase(): SessionPhase {
    return this.#phase;
  }

  /**
   * Handles one text frame. Never throws: a malformed frame ends the session with a FatalError.
   * Resolves when this frame's synchronous effects are done (mutations and actions complete
   * later); frames are processed in arrival order.
   */
  handleFrame(text: string): Promise<void> {
    if (this.#phase === "closed") return this.#inbound;
    this.#lastReceivedMs = this.#context.deps.clock.now();
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (e) {
      this.#fatal(toBackendError(e));
      return this.#inbound;
    }
    return this.handle(message);
  }

  /** Handles one parsed client message, in order after every earlier one. */
  handle(message: ClientMessage): Promise<void> {
    this.#inbound = this.#inbound.then(async () => {
      if (this.#phase === "closed") return;
      try {
        await this.#dispatch(message);
      } catch (e) {
        this.#fail(e);
      }
    });
    return this.#inbound;
  }

  /** Records client activity that is not a frame (a WebSocket-level pong). */
  markAlive(): void {
    this.#lastReceivedMs = this.#context.deps.clock.now();
  }

  /** Sends a Ping when idle and closes a silent client; call every few seconds. */
  heartbeat(nowMs: number): void {
    if (this.#phase === "closed") return;
    if (this.#authExpiresAtMs !== null && nowMs >= this.#authExpiresAtMs) {
      this.#rejectAuth("Token expired", false);
    } else if (nowMs - this.#lastReceivedMs >= CLIENT_INACTIVITY_TIMEOUT_MS) {
      this.#closeTransport(CLOSE_NORMAL, "ClientInactive");
    } else if (nowMs - this.#lastSentMs >= PING_INTERVAL_MS) {
      this.#send({ type: "Ping" });
    }
  }

  /** The transport closed: releases every subscription. Idempotent. */
  close(): void {
    if (this.#phase === "closed" && this.#queries.size === 0) return;
    this.#phase = "closed";
    for (const query of this.#queries.values()) query.handle.release();
    this.#queries.clear();
    this.#context.hub.forget(this);
  }

  /** Hub callback: results or the timestamp this session waits for may be available. */
  onHubAdvance(): void {
    this.#flush();
  }

  async #dispatch(message: ClientMessage): Promise<void> {
    if (this.#phase === "awaitingConnect" && message.type !== "Connect") {
      throw protocolError(
        "ConnectExpected",
        `Expected Connect first, received ${message.type}`,
      );
    }
    switch (message.type) {
      case "Connect":
        return this.#connect(message);
      case "ModifyQuerySet":
        return this.#modifyQuerySet(message);
      case "Authenticate":
        return this.#authenticate(message);
      case "Mutation":
        return this.#mutation(message);
      case "Action":
        return this.#action(message);
      case "Event":
        return;
      default:
        message satisfies never;
    }
  }

  #connect(message: Connect): void {
    if (this.#phase !== "awaitingConnect") {
      throw protocolError(
        "DuplicateConnect",
        "Received a second Connect on one socket",
      );
    }
    this.#phase = "open";
    this.#sessionId = message.sessionId;
    this.#resumed = message.connectionCount > 0;
    if (message.clientTs !== undefined) {
      this.#clockSkewMs = message.clientTs - this.#context.deps.clock.now();
    }
    const maxObserved = message.maxObservedTimestamp;
    if (maxObserved !== undefined && maxObserved > this.#context.hub.ts) {
      this.#context.deps.logger.warn(
        "client observed a timestamp newer than the server's",
        {
          sessionId: message.sessionId,
          maxObservedTs: String(maxObserved),
          serverTs: String(this.#context.hub.ts),
        },
      );
    }
  }

  #modifyQuerySet(message: QuerySetModification): void {
    if (message.baseVersion !== this.#querySetVersion) {
      throw protocolError(
        "BaseVersionMismatch",
        `Expected ModifyQuerySet baseVersion ${this.#querySetVersion}, received ${message.baseVersion}`,
      );
    }
    for (const modification of message.modifications) {
      this.#queries.get(modification.queryId)?.handle.release();
      if (modification.type === "Remove") {
        this.#queries.delete(modification.queryId);
        continue;
      }
      const spec: QuerySpec = {
        udfPath: modification.udfPath,
        args: modification.args,
        journal: modification.journal ?? null,
        componentPath: modification.componentPath,
      };
      const handle = this.#context.hub.subscribe(spec, this.#caller, this);
      this.#queries.set(modification.queryId, { spec, handle });
    }
    this.#querySetVersion = message.newVersion;
    this.#flush();
  }

  async #authenticate(message: Authenticate): Promise<void> {
    if (message.baseVersion !== this.#identityVersion) {
      throw protocolError(
        "IdentityVersionMismatch",
        `Expected Authenticate baseVersion ${this.#identityVersion}, received ${message.baseVersion}`,
      );
    }
    const outcome = await authenticate(message, this.#context.deps.auth);
    if (this.#phase === "closed") return;
    if (outcome.type === "rejected") {
      this.#rejectAuth(outcome.reason);
      return;
    }
    const caller = outcome.caller;
    this.#authExpiresAtMs = outcome.expiresAtMs ?? null;
    this.#identityVersion = message.baseVersion + 1;
    this.#caller = caller;
    for (const query of this.#queries.values()) {
      const old = query.handle;
      query.handle = this.#context.hub.subscribe(query.spec, caller, this);
      old.release();
    }
    this.#flush();
  }

  /**
   * Answers `AuthError` and closes. `authUpdateAttempted`: true for a token the client just sent,
   * false when the session's token expired (the client then fetches a fresh one).
   */
  #rejectAuth(reason: string, authUpdateAttempted = true): void {
    this.#send({
      type: "AuthError",
      error: reason,
      baseVersion: this.#identityVersion,
      authUpdateAttempted,
    });
    this.#closeTransport(CLOSE_NORMAL, "AuthError");
  }

  #mutation(message: MutationRequest): void {
    const caller = this.#caller;
    // A recorded outcome is replayed only to the principal that ran it, so a leaked session id
    // cannot be used to read another user's mutation results.
    const key = {
      sessionId: `${this.#sessionId}\u0000${principalOf(caller)}`,
      requestId: message.requestId,
    };
    this.#mutations = this.#mutations.then(async () => {
      if (this.#phase === "closed") return;
      try {
        const outcome = await this.#context.ledger.run(key, () =>
          this.#runMutation(message, caller, key),
        );
        this.#answerMutation(message, outcome);
      } catch (e) {
        this.#fail(e);
      }
    });
  }

  /**
   * Runs a mutation once per `key`: a result recorded by an earlier delivery (before a restart,
   * or through another process) is replayed; otherwise the run records its own result in its
   * transaction. A run that fails because a concurrent delivery recorded first gets that record.
   */
  async #runMutation(
    message: MutationRequest,
    caller: QueryCaller,
    key: MutationRequestKey,
  ): Promise<MutationOutcome> {
    const records = this.#context.deps.mutationRecords;
    const recorded = this.#resumed ? await records?.find(key) : null;
    if (recorded != null) return replayed(recorded);
    try {
      const result = await this.#context.deps.functions.run({
        udfPath: message.udfPath,
        udfType: "mutation",
        args: message.args,
        identity: caller.identity,
        allowInternal: caller.isAdmin,
        beforeCommit:
          records === undefined
            ? undefined
            : (tx, outcome) => records.record(tx, key, outcome),
      });
      return { ...result, ts: result.success ? result.ts : null };
    } catch (e) {
      const raced = await records?.find(key);
      if (raced != null) return replayed(raced);
      const error = toBackendError(e);
      // Convex reports exhausted OCC retries to the caller as the mutation's error.
      if (error.code !== "OCC") throw error;
      return {
        success: false,
        errorMessage: error.message,
        logLines: [],
        ts: null,
      };
    }
  }

  #answerMutation(message: MutationRequest, outcome: MutationOutcome): void {
    if (this.#phase === "closed") return;
    if (outcome.success) {
      // A mutation that committed nothing may report a ts no commit will ever reach; the client
      // only needs a Transition at or past it, so cap it at the newest committed ts.
      const latest = this.#context.deps.database.latestTs;
      const ts =
        outcome.ts === null || outcome.ts > latest ? latest : outcome.ts;
      this.#send({
        type: "MutationResponse",
        requestId: message.requestId,
        success: true,
        result: outcome.value,
        ts,
        logLines: [...outcome.logLines],
      });
      this.#ackTs = this.#ackTs === null || ts > this.#ackTs ? ts : this.#ackTs;
      this.#context.hub.notifyAt(this, ts);
      return;
    }
    this.#send({
      type: "MutationResponse",
      requestId: message.requestId,
      success: false,
      result: outcome.errorMessage,
      logLines: [...outcome.logLines],
      errorData: outcome.errorData,
    });
  }

  #action(message: ActionRequest): void {
    const caller = this.#caller;
    void (async () => {
      let response: ServerMessage;
      try {
        const result = await this.#context.deps.functions.run({
          udfPath: message.udfPath,
          udfType: "action",
          args: message.args,
          identity: caller.identity,
          allowInternal: caller.isAdmin,
        });
        response = result.success
          ? {
              type: "ActionResponse",
              requestId: message.requestId,
              success: true,
              result: result.value,
              logLines: [...result.logLines],
            }
          : {
              type: "ActionResponse",
              requestId: message.requestId,
              success: false,
              result: result.errorMessage,
              logLines: [...result.logLines],
              errorData: result.errorData,
            };
      } catch (e) {
        // Actions are never retried by the client, so a failure is the action's answer.
        const error = toBackendError(e);
        this.#context.deps.logger.error("action failed", {
          udfPath: message.udfPath,
          error: error.message,
        });
        response = {
          type: "ActionResponse",
          requestId: message.requestId,
          success: false,
          result: "Server Error",
          logLines: [],
        };
      }
      if (this.#phase !== "closed") this.#send(response);
    })();
  }

  /** Sends a Transition when every query has a result at the hub's ts and something changed. */
  #flush(): void {
    if (this.#phase !== "open") return;
    const ts = this.#context.hub.ts;
    const modifications: string[] = [];
    const outcomes = new Map<QueryId, QueryOutcome>();
    for (const [queryId, query] of this.#queries) {
      const outcome = query.handle.current();
      if (outcome === null) return;
      outcomes.set(queryId, outcome);
      if (this.#sentOutcomes.get(queryId) !== outcome) {
        const type = outcome.success ? "QueryUpdated" : "QueryFailed";
        modifications.push(
          `{"type":"${type}","queryId":${queryId},${outcome.body}}`,
        );
      }
    }
    for (const queryId of this.#sentOutcomes.keys()) {
      if (!outcomes.has(queryId))
        modifications.push(`{"type":"QueryRemoved","queryId":${queryId}}`);
    }
    const end: StateVersion = {
      querySet: this.#querySetVersion,
      identity: this.#identityVersion,
      ts,
    };
    const start = this.#sentVersion;
    const ackDue = this.#ackTs !== null && this.#ackTs <= ts;
    if (
      modifications.length === 0 &&
      !ackDue &&
      end.querySet === start.querySet &&
      end.identity === start.identity
    ) {
      return;
    }
    this.#sendTransition(start, end, modifications);
    this.#sentVersion = end;
    this.#sentOutcomes.clear();
    for (const [queryId, outcome] of outcomes)
      this.#sentOutcomes.set(queryId, outcome);
    if (ackDue) this.#ackTs = null;
  }

  #sendTransition(
    startVersion: StateVersion,
    endVersion: StateVersion,
    modifications: string[],
  ): void {
    const frames = encodeTransitionFrames(
      {
        startVersion,
        endVersion,
        modifications,
        clientClockSkewMs: this.#clockSkewMs,
        serverNowMs: this.#context.deps.clock.now(),
      },
      `${this.#sessionId}-${this.#transitionCount++}`,
    );
    for (const frame of frames) this.#sendText(frame);
  }

  #send(message: ServerMessage): void {
    this.#sendText(encodeServerMessage(message));
  }

  #sendText(text: string): void {
    if (this.#phase === "closed") return;
    this.#lastSentMs = this.#context.deps.clock.now();
    this.#transport.send(text);
  }

  /** A protocol violation: FatalError (the client gives up for good), then close. */
  #fatal(error: BackendError): void {
    this.#context.deps.logger.warn("sync protocol error", {
      sessionId: this.#sessionId,
      error: error.message,
    });
    this.#send({ type: "FatalError", error: error.message });
    this.#closeTransport(CLOSE_NORMAL, error.shortMsg);
  }

  /** Anything thrown while handling: protocol errors are fatal, the rest closes for a retry. */
  #fail(e: unknown): void {
    if (this.#phase === "closed") return;
    const error = toBackendError(e);
    if (error.code === "BadRequest") {
      this.#fatal(error);
      return;
    }
    this.#context.deps.logger.error("sync session failed", {
      sessionId: this.#sessionId,
      error: error.message,
    });
    const { code, reason } = closeFrameFor(error);
    this.#closeTransport(code, reason);
  }

  #closeTransport(code: number, reason: string): void {
    if (this.#phase === "closed") return;
    this.close();
    this.#transport.close(code, reason);
  }
}

/** A recorded result, answered at the latest ts (the record committed at or before it). */
function replayed(recorded: RecordedMutationResult): MutationOutcome {
  return { success: true, value: recorded.value, logLines: [], ts: null };
}

/** Who ran a mutation, stable across token refreshes (`tokenIdentifier` for users). */
function principalOf(caller: QueryCaller): string {
  if (caller.isAdmin) return "admin";
  const tokenIdentifier = caller.identity?.tokenIdentifier;
  return typeof tokenIdentifier === "string"
    ? `user:${tokenIdentifier}`
    : caller.key;
}

function protocolError(shortMsg: string, message: string): BackendError {
  return new BackendError("BadRequest", shortMsg, message);
}
