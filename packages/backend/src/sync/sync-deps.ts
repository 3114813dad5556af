/**
 * The ports the sync layer needs. They mirror the runtime's `FunctionRunner.run` and the engine's
 * `Database` structurally (`runtime/README.md`, `engine/README.md`), so `app/` passes the real
 * objects straight in while tests pass small fakes. Fields marked "requested" are asked of the
 * runtime in its README ("Requested by sync helper"); until they exist the sync layer falls back
 * to the conservative behaviour documented on each.
 */
import type {
  SubscribableReadSet,
  CommitWrites,
} from "../engine/subscriptions.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { Timestamp } from "../storage/persistence.js";
import type { JsonValue } from "../values/value.js";
import type { QueryJournal } from "./protocol.js";

/** `UserIdentity` as user code sees it from `ctx.auth.getUserIdentity()`. */
export type UserIdentity = Readonly<Record<string, JsonValue>>;

export type SyncUdfType = "query" | "mutation" | "action";

/** Identifies one mutation request of one client session, for exactly-once execution. */
export interface MutationRequestKey {
  readonly sessionId: string;
  readonly requestId: number;
}

/** One function invocation (the runtime's `UdfRequest`, plus the requested fields). */
export interface SyncUdfRequest {
  readonly udfPath: string;
  readonly udfType: SyncUdfType;
  /** Convex-JSON arguments as the client sent them (a one-element array). */
  readonly args: JsonValue;
  readonly identity: UserIdentity | null;
  /** Admin callers may run internal and `_system/` functions. */
  readonly allowInternal: boolean;
  /** Queries: read at this snapshot. */
  readonly readTs?: Timestamp | undefined;
  /**
   * Queries (requested): the journal of the previous run of this subscription; a `.paginate()`
   * without `endCursor` reuses the end cursor it recorded, so page boundaries stay put.
   */
  readonly journal?: QueryJournal | undefined;
  /**
   * Mutations: called inside the mutation's transaction after it succeeded, before the commit,
   * with what it returned (`tx` is the engine's transaction, opaque here); a throw abandons the
   * transaction and rejects `run`.
   */
  readonly beforeCommit?:
    | ((tx: unknown, outcome: RecordedMutationResult) => Promise<void>)
    | undefined;
}

/** What a successful mutation returned, as recorded for exactly-once delivery. */
export interface RecordedMutationResult {
  readonly value: JsonValue;
}

/**
 * Durable records of the mutations run through the protocol, per (session, request id), written
 * in each mutation's own transaction (`model/mutation-records.ts`): a resend after a reconnect,
 * to a restarted process or another one, gets the recorded result instead of a second run.
 */
export interface SyncMutationRecords {
  /** The recorded result of `key` as of the latest commit, or null. */
  find(key: MutationRequestKey): Promise<RecordedMutationResult | null>;
  /** Records `key` in `tx`, the mutation's transaction; throws when `key` is already recorded. */
  record(
    tx: unknown,
    key: MutationRequestKey,
    outcome: RecordedMutationResult,
  ): Promise<void>;
}

/** What one invocation produced; a user-caused failure is `success: false`, never a rejection. */
export type SyncFunctionResult =
  | {
      readonly success: true;
      readonly value: JsonValue;
      readonly logLines: readonly string[];
    }
  | {
      readonly success: false;
      readonly errorMessage: string;
      readonly errorData?: JsonValue | undefined;
      readonly logLines: readonly string[];
    };

export type SyncRunResult = SyncFunctionResult & {
  /** Commit ts (mutations), read ts (queries), latest ts after an action. */
  readonly ts: Timestamp;
  /** Queries: what the query read. Absent: the result is re-run after every commit. */
  readonly readSet?: SubscribableReadSet | undefined;
  /** Queries (requested): the journal to send to the client and to re-run with. Absent: null. */
  readonly journal?: QueryJournal | undefined;
  /**
   * Queries (requested): whether the function read `ctx.auth`. Absent: assumed true, so results
   * are shared only between subscribers with the same identity.
   */
  readonly usedAuth?: boolean | undefined;
};

/** Runs functions (the runtime's `FunctionRunner`). Rejects only for infrastructure failures. */
export interface SyncFunctionRunner {
  run(request: SyncUdfRequest): Promise<SyncRunResult>;
}

/** The engine's `Database`, as far as subscriptions need it. */
export interface SyncDatabase {
  /** The newest committed and durable timestamp. */
  readonly latestTs: Timestamp;
  /** Calls `listener` after every durable commit, in ts order; returns the unsubscribe. */
  onCommit(listener: (commit: CommitWrites) => void): () => void;
}

/** Verifies what clients present in `Authenticate`. */
export interface SyncAuthVerifier {
  /** True when `adminKey` is valid for this instance. Never throws. */
  checkAdminKey(adminKey: string): boolean;
  /**
   * Verifies a user JWT against the app's auth providers and returns the identity user code
   * sees. Rejects with a `BackendError` (code `Unauthenticated`) carrying the reason.
   */
  verifyUserToken(token: string): Promise<UserIdentity>;
}

/** Everything the sync layer needs; `app/` wires in the real implementations. */
export interface SyncDeps {
  readonly functions: SyncFunctionRunner;
  readonly database: SyncDatabase;
  readonly auth: SyncAuthVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Absent: exactly-once holds within this process only (`MutationLedger`). */
  readonly mutationRecords?: SyncMutationRecords | undefined;
}
