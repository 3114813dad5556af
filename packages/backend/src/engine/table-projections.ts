/**
 * In-memory projections of whole tables, kept current by the commit stream: what search and
 * vector search rank, so that a search reads no documents from storage except its results.
 *
 * A projection holds one derived entry per document of a table (`ProjectionSpec.derive`: the
 * terms of a search field, a normalised vector, …) as of the latest commit, plus the entries
 * each recent commit replaced, so that a transaction at an older snapshot sees the table as of
 * its own `readTs`. It is built on first use by one scan at the latest snapshot; commits that
 * land during the scan are applied when it ends. Projections unused for `IDLE_MS` are dropped.
 */
import type { Logger } from "../shared/logger.js";
import type { PersistenceReader, Timestamp } from "../storage/persistence.js";
import type { Document } from "../values/value.js";
import { BY_ID } from "./catalog.js";
import { DocumentCache } from "./document-codec.js";
import type { ProjectionSpec } from "./query/index-reader.js";
import type { CommittedWrite } from "./write-log.js";

/** A projection unused this long is dropped. */
const IDLE_MS = 10 * 60_000;
/** Replaced entries kept for older snapshots: at most this many, and this recent (ms of ts). */
const HISTORY_MAX_ENTRIES = 50_000;
const HISTORY_MAX_AGE_MS = 60_000;

interface Replaced<E> {
  readonly ts: Timestamp;
  readonly id: string;
  /** The entry before the commit at `ts` (null: the document was absent or not projected). */
  readonly before: E | null;
}

class Projection<E> {
  readonly #spec: ProjectionSpec<E>;
  readonly #tableNumber: number;
  readonly #entries = new Map<string, E>();
  #history: Replaced<E>[] = [];
  /** Every change after this ts is in `#history`. */
  #floorTs: Timestamp;
  lastUsedMs: number;

  constructor(
    spec: ProjectionSpec<E>,
    tableNumber: number,
    builtAt: Timestamp,
    nowMs: number,
  ) {
    this.#spec = spec;
    this.#tableNumber = tableNumber;
    this.#floorTs = builtAt;
    this.lastUsedMs = nowMs;
  }

  /** Adds a document of the build scan. */
  load(id: string, document: Document): void {
    const entry = this.#spec.derive(document);
    if (entry !== null) this.#entries.set(id, entry);
  }

  /** Applies one commit (in ts order). */
  apply(commit: CommittedWrite): void {
    for (const doc of commit.documents) {
      if (doc.tableNumber !== this.#tableNumber) continue;
      const before = this.#entries.get(doc.id) ?? null;
      const after =
        doc.document === null ? null : this.#spec.derive(doc.document);
      if (after === null) this.#entries.delete(doc.id);
      else this.#entries.set(doc.id, after);
      if (before !== null || after !== null)
        this.#history.push({ ts: commit.ts, id: doc.id, before });
    }
    this.#trim(commit.ts);
  }

  /**
   * The entries as of `readTs`, or null when that snapshot is older than the history kept.
   * `readTs` must not be newer than the last commit applied.
   */
  viewAt(readTs: Timestamp): E[] | null {
    if (readTs < this.#floorTs) return null;
    const asOf = new Map<string, E | null>();
    for (let i = this.#firstAfter(readTs); i < this.#history.length; i++) {
      const { id, before } = this.#history[i]!;
      if (!asOf.has(id)) asOf.set(id, before);
    }
    const view: E[] = [];
    for (const [id, entry] of this.#entries)
      if (!asOf.has(id)) view.push(entry);
    for (const entry of asOf.values()) if (entry !== null) view.push(entry);
    return view;
  }

  /** Index of the first replaced entry with ts > `ts` (binary search). */
  #firstAfter(ts: Timestamp): number {
    let lo = 0;
    let hi = this.#history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#history[mid]!.ts <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #trim(latestTs: Timestamp): void {
    const history = this.#history;
    const oldestKept = latestTs - BigInt(HISTORY_MAX_AGE_MS) * 1_000_000n;
    let drop = Math.max(0, history.length - HISTORY_MAX_ENTRIES);
    while (drop < history.length && history[drop]!.ts <= oldestKept) drop++;
    if (drop === 0) return;
    this.#floorTs = history[drop - 1]!.ts;
    this.#history = history.slice(drop);
  }
}

/** A projection being built: commits published meanwhile wait in `pending`. */
interface Building {
  readonly pending: CommittedWrite[];
  readonly done: Promise<Projection<unknown> | null>;
}

export interface TableProjectionsDeps {
  readonly reader: PersistenceReader;
  readonly latestTs: () => Timestamp;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

/** The projections of one database. Feed it every published commit (`apply`). */
export class TableProjections {
  readonly #deps: TableProjectionsDeps;
  readonly #live = new Map<string, Projection<unknown>>();
  readonly #building = new Map<string, Building>();

  constructor(deps: TableProjectionsDeps) {
    this.#deps = deps;
  }

  /** Applies a published commit to every projection (call in ts order, synchronously). */
  apply(commit: CommittedWrite): void {
    for (const building of this.#building.values())
      building.pending.push(commit);
    const now = this.#deps.nowMs();
    for (const [key, projection] of this.#live) {
      if (now - projection.lastUsedMs > IDLE_MS) this.#live.delete(key);
      else projection.apply(commit);
    }
  }

  /**
   * The entries of table `tableNumber` under `spec` as of `readTs`, building the projection on
   * first use; null when `readTs` is older than the history kept, or the build failed (the
   * caller then scans the table itself).
   */
  async viewAt<E>(
    tableNumber: number,
    spec: ProjectionSpec<E>,
    readTs: Timestamp,
  ): Promise<E[] | null> {
    const key = `${tableNumber}\u0000${spec.key}`;
    let projection = this.#live.get(key) as Projection<E> | undefined;
    if (projection === undefined) {
      const built = await this.#build(key, tableNumber, spec);
      if (built === null) return null;
      projection = built;
    }
    projection.lastUsedMs = this.#deps.nowMs();
    return projection.viewAt(readTs);
  }

  #build<E>(
    key: string,
    tableNumber: number,
    spec: ProjectionSpec<E>,
  ): Promise<Projection<E> | null> {
    const existing = this.#building.get(key);
    if (existing !== undefined)
      return existing.done as Promise<Projection<E> | null>;
    const pending: CommittedWrite[] = [];
    const builtAt = this.#deps.latestTs();
    const done = this.#scan(tableNumber, spec, builtAt).then(
      (projection) => {
        this.#building.delete(key);
        for (const commit of pending)
          if (commit.ts > builtAt) projection.apply(commit);
        this.#live.set(key, projection);
        return projection;
      },
      (error: unknown) => {
        this.#building.delete(key);
        this.#deps.logger.warn("search projection build failed", {
          error: String(error),
        });
        return null;
      },
    );
    this.#building.set(key, {
      pending,
      done: done,
    });
    return done;
  }

  async #scan<E>(
    tableNumber: number,
    spec: ProjectionSpec<E>,
    builtAt: Timestamp,
  ): Promise<Projection<E>> {
    const projection = new Projection(
      spec,
      tableNumber,
      builtAt,
      this.#deps.nowMs(),
    );
    const cache = new DocumentCache(0);
    for await (const entry of this.#deps.reader.indexScan(
      `${tableNumber}/${BY_ID}`,
      builtAt,
      { start: new Uint8Array(0), end: null },
      "asc",
    )) {
      const parsed = cache.parse(entry.document);
      if (parsed !== null)
        projection.load(parsed.document._id, parsed.document);
    }
    return projection;
  }
}
