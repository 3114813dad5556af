/**
 * The live query set of the whole server: one cached execution per distinct subscription, shared
 * by every socket that subscribes to it, kept fresh as commits land.
 *
 * - An entry is one execution: (function, args, journal, caller), where the caller is dropped from
 *   the key ("shared" entry) once a run shows the function never read `ctx.auth`.
 * - Each entry's result is subscribed with its read set in the engine's `SubscriptionManager`; a
 *   commit that writes into it marks the entry dirty.
 * - One loop re-runs dirty entries: each pass picks the newest processed commit ts `target`, runs
 *   every entry invalidated at or before it (and every new entry) at `target`, then publishes
 *   `target` as the hub's `ts`. After a pass every live, non-pending entry is valid at `ts`, so a
 *   socket can build a consistent Transition from them at that single timestamp.
 * - Results are compared by their encoded text: a re-run that produced the same result keeps the
 *   same `QueryOutcome` object, so sockets detect "unchanged" by identity.
 */
import {
  type CommitWrites,
  type Subscription,
  SubscriptionManager,
} from "../engine/subscriptions.js";
import { isBackendError } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import type { Timestamp } from "../storage/persistence.js";
import type { JsonValue } from "../values/value.js";
import type { QueryJournal } from "./protocol.js";
import type {
  SyncDatabase,
  SyncFunctionRunner,
  SyncRunResult,
  UserIdentity,
} from "./sync-deps.js";

/** What a client subscribes to. */
export interface QuerySpec {
  readonly udfPath: string;
  /** As sent: a one-element array holding the args object. */
  readonly args: JsonValue[];
  readonly journal: QueryJournal;
  readonly componentPath?: string | undefined;
}

/** Who a query runs as. `key` identifies the caller for sharing (same key, same results). */
export interface QueryCaller {
  readonly key: string;
  readonly identity: UserIdentity | null;
  readonly isAdmin: boolean;
}

/** One result of one execution, immutable. Unchanged re-runs keep the same object. */
export interface QueryOutcome {
  readonly success: boolean;
  /**
   * The encoded modification without its `type` and `queryId`: `"value":…,"logLines":…,"journal":…`
   * or `"errorMessage":…,"logLines":…,"errorData":…,"journal":…`.
   */
  readonly body: string;
}

/** A socket that holds handles; told when results it may be waiting for are available. */
export interface HubClient {
  onHubAdvance(): void;
}

/** One socket's subscription to one entry. */
export interface QueryHandle {
  /** The outcome valid at the hub's `ts`, or null while it is being computed. */
  current(): QueryOutcome | null;
  /** Drops the subscription; the entry goes away with its last handle. Idempotent. */
  release(): void;
}

export interface QueryHubOptions {
  /**
   * At most this many query executions run at once. The runtime's worker pool bounds real
   * parallelism anyway; this keeps a burst of invalidations from queueing thousands of runs.
   */
  readonly maxConcurrentRuns?: number | undefined;
}

const DEFAULT_MAX_CONCURRENT_RUNS = 16;
/**
 * The caller part of a shared entry's key. Admins may run internal and system functions that
 * others may not, so their results are never shared with non-admins, whatever auth they read.
 */
function sharedKey(caller: QueryCaller): string {
  return caller.isAdmin ? "*admin" : "*";
}

interface Entry {
  key: string;
  readonly spec: QuerySpec;
  /** The caller the entry runs as (any subscriber's, when shared). */
  readonly caller: QueryCaller;
  shared: boolean;
  /** The journal the next run starts from. */
  journal: QueryJournal;
  outcome: QueryOutcome | null;
  /** The ts `outcome` was computed at. */
  outcomeTs: Timestamp;
  /** The commit that invalidated `outcome`, or null while it is valid. */
  invalidTs: Timestamp | null;
  subscription: Subscription | null;
  /** Re-run after every commit (the runner gave no read set). */
  volatile: boolean;
  readonly handles: Set<Handle>;
  removed: boolean;
}

interface Handle extends QueryHandle {
  entry: Entry;
  readonly caller: QueryCaller;
  readonly client: HubClient;
}

/** See the file comment. One per server process. */
export class QueryHub {
  readonly #functions: SyncFunctionRunner;
  readonly #logger: Logger;
  readonly #maxConcurrent: number;
  readonly #manager: SubscriptionManager;
  readonly #entries = new Map<string, Entry>();
  readonly #dirty = new Set<Entry>();
  readonly #volatile = new Set<Entry>();
  readonly #waiters = new Map<HubClient, Timestamp>();
  #ts: Timestamp;
  /** Bumped by `rerunAll`: a run started under an older code version is stale when it ends. */
  #codeVersion = 0;
  #loop: Promise<void> | null = null;
  #again = false;
  #stopCommits: (() => void) | null = null;

  constructor(
    deps: {
      functions: SyncFunctionRunner;
      database: SyncDatabase;
      logger: Logger;
    },
    options: QueryHubOptions = {},
  ) {
    this.#functions = deps.functions;
    this.#logger = deps.logger;
    this.#maxConcurrent =
      options.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;
    this.#ts = deps.database.latestTs;
    this.#manager = new SubscriptionManager({ initialTs: this.#ts });
    this.#stopCommits = deps.database.onCommit((commit) =>
      this.#onCommit(commit),
    );
  }

  /** Every live entry that is not pending is valid at this timestamp. Never decreases. */
  get ts(): Timestamp {
    return this.#ts;
  }

  /** The number of distinct executions kept live. */
  get entryCount(): number {
    return this.#entries.size;
  }

  /**
   * Subscribes `client` to `spec` run as `caller`, sharing an existing execution when one
   * matches. The client is told (`onHubAdvance`) once the result is available.
   */
  subscribe(
    spec: QuerySpec,
    caller: QueryCaller,
    client: HubClient,
  ): QueryHandle {
    const handle: Handle = {
      entry: this.#entryFor(spec, caller),
      caller,
      client,
      current: () => this.#current(handle.entry),
      release: () => this.#release(handle),
    };
    handle.entry.handles.add(handle);
    return handle;
  }

  /** Tells `client` (`onHubAdvance`) once `ts` has reached `minTs` (at once when it has). */
  notifyAt(client: HubClient, minTs: Timestamp): void {
    if (this.#ts >= minTs) {
      client.onHubAdvance();
      return;
    }
    const waiting = this.#waiters.get(client);
    this.#waiters.set(
      client,
      waiting === undefined || minTs > waiting ? minTs : waiting,
    );
    if (this.#manager.processedTs >= minTs) this.#schedule();
  }

  /** Forgets a client's pending `notifyAt`. */
  forget(client: HubClient): void {
    this.#waiters.delete(client);
  }

  /**
   * Re-runs every live execution (after a deploy changed the code behind them). Subscribers get
   * a Transition only for results that actually changed; until the re-run, sessions wait rather
   * than mix results of the old and the new code.
   */
  rerunAll(): void {
    this.#codeVersion++;
    for (const entry of this.#entries.values()) {
      if (entry.outcome === null) continue;
      entry.invalidTs = this.#ts;
      entry.subscription?.unsubscribe();
      entry.subscription = null;
      this.#volatile.delete(entry);
      this.#dirty.add(entry);
    }
    this.#schedule();
  }

  /** Resolves once no pass is running or scheduled (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#loop !== null) await this.#loop;
  }

  /** Stops following commits. Pending passes finish; nothing new starts. */
  close(): void {
    this.#stopCommits?.();
    this.#stopCommits = null;
  }

  #entryFor(spec: QuerySpec, caller: QueryCaller): Entry {
    const base = baseKey(spec, spec.journal);
    const existing =
      this.#entries.get(`${base}|${sharedKey(caller)}`) ??
      this.#entries.get(`${base}|${caller.key}`);
    if (existing !== undefined) return existing;
    const entry: Entry = {
      key: `${base}|${caller.key}`,
      spec,
      caller,
      shared: false,
      journal: spec.journal,
      outcome: null,
      outcomeTs: 0n,
      invalidTs: null,
      subscription: null,
      volatile: false,
      handles: new Set(),
      removed: false,
    };
    this.#entries.set(entry.key, entry);
    this.#dirty.add(entry);
    this.#schedule();
    return entry;
  }

  #current(entry: Entry): QueryOutcome | null {
    if (entry.outcome === null || entry.outcomeTs > this.#ts) return null;
    if (entry.invalidTs !== null && entry.invalidTs <= this.#ts) return null;
    return entry.outcome;
  }

  #release(handle: Handle): void {
    const entry = handle.entry;
    if (!entry.handles.delete(handle) || entry.handles.size > 0) return;
    this.#drop(entry);
  }

  /** Forgets an entry that has no subscribers left. */
  #drop(entry: Entry): void {
    entry.removed = true;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    entry.subscription?.unsubscribe();
    this.#dirty.delete(entry);
    this.#volatile.delete(entry);
  }

  #onCommit(commit: CommitWrites): void {
    this.#manager.advance(commit);
    for (const entry of this.#volatile) this.#invalidate(entry, commit.ts);
    if (
      this.#dirty.size > 0 ||
      [...this.#waiters.values()].some((ts) => ts <= commit.ts)
    ) {
      this.#schedule();
    }
  }

  #invalidate(entry: Entry, ts: Timestamp): void {
    if (entry.removed) return;
    entry.invalidTs ??= ts;
    entry.subscription = null;
    this.#volatile.delete(entry);
    this.#dirty.add(entry);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#loop !== null) {
      this.#again = true;
      return;
    }
    this.#loop = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again);
      } finally {
        this.#loop = null;
      }
    })();
  }

  async #pass(): Promise<void> {
    // Let the current turn finish queueing work (one ModifyQuerySet adds many queries).
    await Promise.resolve();
    const target = this.#manager.processedTs;
    const batch = [...this.#dirty].filter(
      (e) =>
        e.outcome === null || (e.invalidTs !== null && e.invalidTs <= target),
    );
    for (const entry of batch) this.#dirty.delete(entry);
    await runLimited(batch, this.#maxConcurrent, (entry) =>
      this.#run(entry, target),
    );
    if (target > this.#ts) this.#ts = target;
    this.#notify(batch);
  }

  #notify(batch: readonly Entry[]): void {
    const clients = new Set<HubClient>();
    for (const entry of batch)
      for (const handle of entry.handles) clients.add(handle.client);
    for (const [client, ts] of this.#waiters) {
      if (ts <= this.#ts) {
        this.#waiters.delete(client);
        clients.add(client);
      }
    }
    for (const client of clients) client.onHubAdvance();
  }

  async #run(entry: Entry, target: Timestamp): Promise<void> {
    const codeVersion = this.#codeVersion;
    const result = await this.#execute(entry, target);
    if (entry.removed) return;
    const outcome = toOutcome(result);
    entry.outcome =
      entry.outcome?.body === outcome.body ? entry.outcome : outcome;
    entry.outcomeTs = target;
    entry.invalidTs = null;
    entry.journal = result.journal ?? null;
    entry.subscription?.unsubscribe();
    entry.subscription = null;
    if (result.readSet === undefined) {
      entry.volatile = true;
      this.#volatile.add(entry);
    } else {
      entry.subscription = this.#manager.subscribe(
        result.readSet,
        target,
        (ts) => this.#invalidate(entry, ts),
      );
    }
    this.#rekey(entry, result.usedAuth ?? true);
    if (codeVersion !== this.#codeVersion && !entry.removed) {
      // A deploy landed while this ran: the result may be the old code's, so run it again.
      entry.subscription?.unsubscribe();
      this.#invalidate(entry, target);
    }
  }

  async #execute(entry: Entry, target: Timestamp): Promise<SyncRunResult> {
    try {
      return await this.#functions.run({
        udfPath: entry.spec.udfPath,
        udfType: "query",
        args: entry.spec.args,
        identity: entry.caller.identity,
        allowInternal: entry.caller.isAdmin,
        readTs: target,
        journal: entry.journal,
      });
    } catch (e) {
      // Infrastructure failure: report it as the query's error and retry after the next commit.
      this.#logger.error("query execution failed", {
        udfPath: entry.spec.udfPath,
        error: String(e),
      });
      const message = isBackendError(e) ? e.message : "Server Error";
      return {
        success: false,
        errorMessage: message,
        logLines: [],
        ts: target,
      };
    }
  }

  /**
   * Files the entry under the key its next run will use: shared when it did not read auth, and
   * under its new journal. Subscribers of a shared entry that now reads auth get their own
   * (refiled first, so they cannot find this entry again under the shared key).
   */
  #rekey(entry: Entry, usedAuth: boolean): void {
    const wasShared = entry.shared;
    entry.shared = !usedAuth;
    const key = `${baseKey(entry.spec, entry.journal)}|${entry.shared ? sharedKey(entry.caller) : entry.caller.key}`;
    if (key !== entry.key) {
      if (this.#entries.get(entry.key) === entry)
        this.#entries.delete(entry.key);
      entry.key = key;
      // When another entry already holds the key, this one stays reachable only by its handles.
      if (!this.#entries.has(key)) this.#entries.set(key, entry);
    }
    if (!wasShared || entry.shared) return;
    for (const handle of [...entry.handles]) {
      if (handle.caller.key === entry.caller.key) continue;
      entry.handles.delete(handle);
      handle.entry = this.#entryFor(
        { ...entry.spec, journal: entry.journal },
        handle.caller,
      );
      handle.entry.handles.add(handle);
    }
    // Its own caller may have left long ago, leaving nobody to serve.
    if (entry.handles.size === 0) this.#drop(entry);
  }
}

function baseKey(spec: QuerySpec, journal: QueryJournal): string {
  return stableStringify([
    spec.udfPath,
    spec.componentPath ?? "",
    spec.args,
    journal,
  ]);
}

/** JSON with object keys sorted, so equal values give equal keys whatever the key order. */
export function stableStringify(value: JsonValue | undefined): string {
  if (value === null || typeof value !== "object")
    return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => stableStringify(v)).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
    .join(",")}}`;
}

function toOutcome(result: SyncRunResult): QueryOutcome {
  const journal = result.journal ?? null;
  const body = result.success
    ? { value: result.value, logLines: result.logLines, journal }
    : {
        errorMessage: result.errorMessage,
        logLines: result.logLines,
        ...(result.errorData === undefined
          ? {}
          : { errorData: result.errorData }),
        journal,
      };
  return { success: result.success, body: JSON.stringify(body).slice(1, -1) };
}

async function runLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}
