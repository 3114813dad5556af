/**
 * A transaction: reads at a snapshot (`readTs`), recording every index range it reads in its read
 * set, and buffers writes, which its own later reads see. `Database.commit` hands it to the
 * committer. Implements `IndexReader` for the query layer.
 */
import { must } from "../shared/asserts.js";
import type { Clock } from "../shared/clock.js";
import type {
  KeyInterval,
  Order,
  PersistenceReader,
  Timestamp,
} from "../storage/persistence.js";
import { encodeId, newInternalId } from "../values/id.js";
import { encodeIndexKey } from "../values/index-key.js";
import { getDocumentSize, validateDocumentShape } from "../values/size.js";
import { validateValue } from "../values/validator.js";
import type { Document, ObjectValue } from "../values/value.js";
import {
  BY_ID,
  INDEX_BY_TABLE,
  INDEX_TABLE_NUMBER,
  TABLES_BY_NAME,
  TABLES_TABLE_NUMBER,
  isSystemTableName,
  type Catalog,
  type TableInfo,
} from "./catalog.js";
import type { PreparedCommit } from "./committer.js";
import type { DocumentCache } from "./document-codec.js";
import {
  indexNotReadyError,
  nonexistentDocumentError,
  schemaViolationError,
  transactionClosedError,
  type DatabaseOperation,
} from "./engine-errors.js";
import {
  LimitTracker,
  type TransactionLimits,
  type TransactionMetrics,
} from "./limits.js";
import type {
  IndexReader,
  IndexScanItem,
  IndexScanIterator,
  ProjectionSpec,
  ResolvedIndex,
  ResolvedSearchIndex,
  ResolvedVectorIndex,
} from "./query/index-reader.js";
import type { CursorCodec } from "./query/cursor.js";
import {
  runQueryPage,
  type QueryPageArgs,
  type QueryPageResult,
} from "./query/pagination.js";
import { parseQueryPlan } from "./query/query-plan.js";
import { openQueryStream, type QueryStream } from "./query/query-stream.js";
import { ReadSet, pointInterval, type GrowingInterval } from "./read-set.js";
import {
  CreationTimeAllocator,
  minCommitTsFor,
  applyPatch,
  applyReplace,
  assertNoSystemFields,
  assertSystemFieldsMatch,
  userFields,
} from "./system-fields.js";
import {
  FULL_INTERVAL,
  assertWritableTable,
  normalizeId,
  prefixInterval,
  tableOfId,
  userFieldsOf,
  virtualIndex,
  visibleTable,
  type DocumentOptions,
} from "./table-access.js";
import type { TableProjections } from "./table-projections.js";
import { TransactionScan, type ScanTarget } from "./transaction-scan.js";
import {
  WriteSet,
  type OriginalRevision,
  type WriteSetCheckpoint,
} from "./write-set.js";

/** A revision read from storage at the transaction's snapshot, with its size for read limits. */
interface SnapshotRead {
  readonly revision: OriginalRevision;
  readonly size: number;
}

/** What the database gives a transaction. */
export interface TransactionContext {
  readonly reader: PersistenceReader;
  readonly readTs: Timestamp;
  readonly catalog: Catalog;
  readonly cache: DocumentCache;
  readonly clock: Clock;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly limits: TransactionLimits;
  /** Seals and opens pagination cursors. */
  readonly cursorCodec: CursorCodec;
  /** Whole-table projections kept current by commits (search); scans are used without. */
  readonly projections?: TableProjections | undefined;
  /** Called once when the transaction is committed or closed. */
  readonly onClose: () => void;
}

export type { DocumentOptions } from "./table-access.js";

export class Transaction implements IndexReader {
  readonly readTs: Timestamp;
  readonly readSet = new ReadSet();
  readonly #context: TransactionContext;
  readonly #writes = new WriteSet();
  readonly #limits: LimitTracker;
  readonly #creationTimes: CreationTimeAllocator;
  /** Metadata documents draw their own creation times, leaving user inserts' sequence intact. */
  readonly #metadataCreationTimes: CreationTimeAllocator;
  /** Tables whose metadata this transaction already read for a write. */
  readonly #writtenTables = new Set<number>();
  /**
   * Revisions this transaction already read from storage, by id: a snapshot never changes, so a
   * later `get`/`patch` of a document a query returned needs no second storage read.
   */
  readonly #snapshotReads = new Map<string, SnapshotRead>();
  #catalog: Catalog;
  #closed = false;
  /** Open sub-transactions, innermost last. */
  readonly #savepoints: {
    readonly writes: WriteSetCheckpoint;
    readonly catalog: Catalog;
    readonly writtenTables: ReadonlySet<number>;
  }[] = [];

  constructor(context: TransactionContext) {
    this.#context = context;
    this.readTs = context.readTs;
    this.#catalog = context.catalog;
    this.#limits = new LimitTracker(context.limits);
    this.#creationTimes = new CreationTimeAllocator(context.readTs);
    this.#metadataCreationTimes = new CreationTimeAllocator(context.readTs);
  }

  /** The table and index metadata as this transaction sees it (its own changes included). */
  get catalog(): Catalog {
    return this.#catalog;
  }

  /** Whether the transaction has buffered writes. */
  get hasWrites(): boolean {
    return this.#writes.size > 0;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  metrics(): TransactionMetrics {
    return this.#limits.metrics();
  }

  /** The document `id`, or null when it does not exist (see reference §1.3 for the checks). */
  async get(
    id: string,
    options: DocumentOptions = {},
  ): Promise<Document | null> {
    this.#assertOpen();
    const resolved = tableOfId(this.#catalog, "db.get", id, options);
    if (resolved === null) return null;
    this.#limits.addInterval();
    const revision = await this.#read(resolved.table, resolved.id);
    return revision?.document ?? null;
  }

  /** The canonical form of `id` when it is an id of `table`, else null. Never throws. */
  normalizeId(table: string, id: string): string | null {
    return normalizeId(this.#catalog, table, id);
  }

  /**
   * Inserts a document into `table` (created when missing) and returns its new `_id`.
   * `internalId` (system tables only): the 16-byte internal id to use instead of a fresh one, so
   * a system document can be found by a point read of an id derived from its key; the insert
   * reads that id first (a concurrent insert of it conflicts) and throws when it exists.
   */
  async insert(
    tableName: string,
    value: ObjectValue,
    options: {
      isSystem?: boolean | undefined;
      internalId?: Uint8Array | undefined;
    } = {},
  ): Promise<string> {
    this.#assertOpen();
    assertWritableTable(tableName, options.isSystem === true);
    assertNoSystemFields(value);
    if (options.internalId !== undefined && !isSystemTableName(tableName))
      throw new Error("Assertion failed: a chosen id needs a system table");
    const table = await this.#tableForWrite(tableName);
    const nowMs = this.#context.clock.now();
    const internalId =
      options.internalId ?? newInternalId(nowMs, this.#context.randomBytes);
    const id = encodeId(table.number, internalId);
    if (
      options.internalId !== undefined &&
      (await this.#read(table, id)) !== null
    ) {
      throw new Error(`Assertion failed: document ${id} already exists`);
    }
    const document: Document = {
      ...userFieldsOf(value),
      _id: id,
      _creationTime: this.#creationTimes.next(nowMs),
    };
    this.#put(table, null, document);
    return id;
  }

  /** Shallow-merges `value` into document `id`; an `undefined` member removes the field. */
  async patch(
    id: string,
    value: ObjectValue,
    options: DocumentOptions = {},
  ): Promise<Document> {
    const { table, existing } = await this.#existingForWrite(
      "db.patch",
      id,
      options,
    );
    assertSystemFieldsMatch(value, existing.document);
    const next = applyPatch(existing.document, value);
    this.#put(table, existing, next);
    return next;
  }

  /** Replaces document `id` with `value` (system fields kept). */
  async replace(
    id: string,
    value: ObjectValue,
    options: DocumentOptions = {},
  ): Promise<Document> {
    const { table, existing } = await this.#existingForWrite(
      "db.replace",
      id,
      options,
    );
    assertSystemFieldsMatch(value, existing.document);
    const next = applyReplace(existing.document, value);
    this.#put(table, existing, next);
    return next;
  }

  /** Deletes document `id` and returns it. */
  async delete(id: string, options: DocumentOptions = {}): Promise<Document> {
    const { table, existing } = await this.#existingForWrite(
      "db.delete",
      id,
      options,
    );
    this.#recordWrite(table, existing, null, 0);
    return existing.document;
  }

  /**
   * Starts executing a serialized query (`1.0/queryStream`): resolves the index and compiles the
   * range now, reads lazily. Throws the query layer's errors for malformed queries and indexes.
   */
  query(serializedQuery: unknown): QueryStream {
    this.#assertOpen();
    return openQueryStream(this, parseQueryPlan(serializedQuery));
  }

  /** Reads one page of a paginated query (`1.0/queryPage`). */
  queryPage(args: QueryPageArgs): Promise<QueryPageResult> {
    this.#assertOpen();
    return runQueryPage(this, this.#context.cursorCodec, args);
  }

  /** Number of documents in `table` at this transaction's view; reads the whole table range. */
  async count(tableName: string): Promise<number> {
    const documents = this.scanTable(tableName);
    let count = 0;
    while ((await documents.next()).done !== true) count += 1;
    return count;
  }

  /**
   * Every document of `tableName` at this view, in `_id` order; the whole table is recorded in
   * the read set once exhausted, and nothing counts against the read limits.
   */
  async *scanTable(tableName: string): AsyncGenerator<IndexScanItem> {
    this.#assertOpen();
    const index = this.resolveIndex(tableName, BY_ID);
    if (index === null) return;
    const scan = this.#openScan(index, FULL_INTERVAL, "asc", () => {});
    for (;;) {
      const result = await scan.next();
      if (result.done === true) return;
      yield result.value;
    }
  }

  async projectTable<E>(
    tableName: string,
    spec: ProjectionSpec<E>,
  ): Promise<E[]> {
    this.#assertOpen();
    this.#limits.addInterval();
    const table = visibleTable(this.#catalog, tableName);
    const projections = this.#context.projections;
    const ownWrites =
      table === undefined ? 0 : (this.#writes.ofTable(table.number)?.size ?? 0);
    if (
      table !== undefined &&
      table.docId !== null &&
      projections !== undefined &&
      ownWrites === 0
    ) {
      this.readSet.add(`${table.number}/${BY_ID}`, FULL_INTERVAL);
      const view = await projections.viewAt(table.number, spec, this.readTs);
      if (view !== null) return view;
    }
    const entries: E[] = [];
    for await (const { document } of this.scanTable(tableName)) {
      const entry = spec.derive(document);
      if (entry !== null) entries.push(entry);
    }
    return entries;
  }

  async readDocument(
    id: string,
  ): Promise<{ document: Document; size: number } | null> {
    this.#assertOpen();
    const resolved = tableOfId(this.#catalog, "db.get", id, {});
    if (resolved === null) return null;
    // Part of the search's one range (its whole table): a read, but no interval of its own.
    const revision = await this.#read(resolved.table, resolved.id);
    return revision === null
      ? null
      : {
          document: revision.document,
          size: getDocumentSize(revision.document),
        };
  }

  resolveSearchIndex(
    tableName: string,
    indexName: string,
  ): ResolvedSearchIndex | null {
    const definition = this.#textIndex(tableName, indexName, "searchIndexes");
    return definition === null
      ? null
      : {
          tableName,
          indexName,
          searchField: definition.searchField,
          filterFields: definition.filterFields,
        };
  }

  resolveVectorIndex(
    tableName: string,
    indexName: string,
  ): ResolvedVectorIndex | null {
    const definition = this.#textIndex(tableName, indexName, "vectorIndexes");
    return definition === null
      ? null
      : {
          tableName,
          indexName,
          vectorField: definition.vectorField,
          dimensions: definition.dimensions,
          filterFields: definition.filterFields,
        };
  }

  /** A search or vector index definition of the catalog; throws for a staged one. */
  #textIndex<K extends "searchIndexes" | "vectorIndexes">(
    tableName: string,
    indexName: string,
    kind: K,
  ): TableInfo[K][number] | null {
    this.#assertOpen();
    const table = visibleTable(this.#catalog, tableName);
    if (table === undefined) {
      this.#recordTableLookup(tableName);
      return null;
    }
    const definitions: readonly TableInfo[K][number][] = table[kind];
    const definition = definitions.find((d) => d.name === indexName);
    if (definition === undefined) return null;
    if (definition.staged) throw indexNotReadyError(tableName, indexName, true);
    return definition;
  }

  resolveIndex(tableName: string, indexName: string): ResolvedIndex | null {
    this.#assertOpen();
    const table = visibleTable(this.#catalog, tableName);
    if (table === undefined) {
      this.#recordTableLookup(tableName);
      return virtualIndex(tableName, indexName);
    }
    const index = this.#catalog.index(table.number, indexName);
    if (index === undefined) return null;
    if (index.state !== "enabled") {
      throw indexNotReadyError(tableName, indexName, index.staged);
    }
    return { id: index.id, tableName, indexName, fields: index.fields };
  }

  scan(
    index: ResolvedIndex,
    interval: KeyInterval,
    order: Order,
  ): IndexScanIterator {
    this.#assertOpen();
    this.#limits.addInterval();
    return this.#openScan(index, interval, order, (size) =>
      this.#limits.addRead(size),
    );
  }

  /** The smallest ts this transaction may commit at: above every creation time it assigned. */
  get minCommitTs(): Timestamp {
    const user = this.#creationTimes.last;
    const meta = this.#metadataCreationTimes.last;
    return minCommitTsFor(
      user === null ? meta : meta === null ? user : Math.max(user, meta),
    );
  }

  /** Builds the commit's rows at `ts` (used by `Database.commit`). */
  prepareCommit(ts: Timestamp): PreparedCommit {
    return this.#writes.prepare(ts, this.#catalog, this.#context.cache);
  }

  /**
   * Starts a sub-transaction (a nested `ctx.runMutation`): writes made until the matching
   * `rollbackSubtransaction` are discarded by it, and kept by `commitSubtransaction`. Nests.
   * Reads stay in the read set either way (what the callee saw still shaped the caller).
   */
  beginSubtransaction(): void {
    this.#assertOpen();
    this.#savepoints.push({
      writes: this.#writes.checkpoint(),
      catalog: this.#catalog,
      writtenTables: new Set(this.#writtenTables),
    });
  }

  /** Ends the innermost sub-transaction, keeping its writes. */
  commitSubtransaction(): void {
    must(this.#savepoints.pop(), "no open sub-transaction");
  }

  /** Ends the innermost sub-transaction, discarding its writes. */
  rollbackSubtransaction(): void {
    const savepoint = must(this.#savepoints.pop(), "no open sub-transaction");
    this.#writes.restore(savepoint.writes);
    this.#catalog = savepoint.catalog;
    this.#writtenTables.clear();
    for (const table of savepoint.writtenTables) this.#writtenTables.add(table);
  }

  /** Ends the transaction without committing; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.onClose();
  }

  /**
   * Engine-internal: writes metadata document `id` of `_tables` or `_index` (`fields` null
   * deletes it; `id` null inserts). Returns the document id. Used by schema changes.
   */
  async writeMetadata(
    tableNumber: typeof TABLES_TABLE_NUMBER | typeof INDEX_TABLE_NUMBER,
    id: string | null,
    fields: ObjectValue | null,
  ): Promise<string> {
    this.#assertOpen();
    const table = this.#catalog.tableByNumber(tableNumber)!;
    if (id === null) {
      const nowMs = this.#context.clock.now();
      const newId = encodeId(
        tableNumber,
        newInternalId(nowMs, this.#context.randomBytes),
      );
      const document = {
        ...fields,
        _id: newId,
        _creationTime: this.#metadataCreationTimes.next(nowMs),
      };
      this.#put(table, null, document);
      return newId;
    }
    const existing = await this.#read(table, id);
    if (existing === null) throw nonexistentDocumentError("db.patch", id);
    const next =
      fields === null ? null : applyReplace(existing.document, fields);
    this.#recordWrite(
      table,
      existing,
      next,
      next === null ? 0 : getDocumentSize(next),
    );
    return id;
  }

  /** Engine-internal: the table `name`, created in this transaction when missing. */
  async ensureTable(name: string): Promise<TableInfo> {
    this.#assertOpen();
    return this.#tableForWrite(name);
  }

  /**
   * Engine-internal: records a read of all table and index metadata, so concurrent schema changes
   * and table creations conflict with this transaction.
   */
  recordMetadataRead(): void {
    this.readSet.add(`${TABLES_TABLE_NUMBER}/${BY_ID}`, FULL_INTERVAL);
    this.readSet.add(`${INDEX_TABLE_NUMBER}/${BY_ID}`, FULL_INTERVAL);
  }

  /**
   * Engine-internal: records a read of every document of table `name` (so any concurrent write to
   * it conflicts), without reading them through the transaction.
   */
  recordTableRead(name: string): void {
    const table = visibleTable(this.#catalog, name);
    if (table === undefined) this.#recordTableLookup(name);
    else this.readSet.add(`${table.number}/${BY_ID}`, FULL_INTERVAL);
  }

  #assertOpen(): void {
    if (this.#closed) throw transactionClosedError();
  }

  /** Records a read of whether table `name` exists (its `_tables` entry). */
  #recordTableLookup(name: string): void {
    this.readSet.add(
      `${TABLES_TABLE_NUMBER}/${TABLES_BY_NAME}`,
      prefixInterval([name]),
    );
  }

  /** Reads document `id` (records the point read); own writes first. */
  async #read(table: TableInfo, id: string): Promise<OriginalRevision | null> {
    this.readSet.add(
      `${table.number}/${BY_ID}`,
      pointInterval(encodeIndexKey([id])),
    );
    const own = this.#writes.get(id);
    if (own !== undefined) {
      return own.current === null
        ? null
        : { document: own.current, ts: own.original?.ts ?? -1n };
    }
    const seen = this.#snapshotReads.get(id);
    if (seen !== undefined) {
      this.#limits.addRead(seen.size);
      return seen.revision;
    }
    const entry = await this.#context.reader.getDocument(
      table.id,
      id,
      this.readTs,
    );
    const parsed = entry === null ? null : this.#context.cache.parse(entry);
    if (entry === null || parsed === null) return null;
    this.#limits.addRead(parsed.size);
    const revision = { document: parsed.document, ts: entry.ts };
    this.#snapshotReads.set(id, { revision, size: parsed.size });
    return revision;
  }

  async #existingForWrite(
    operation: DatabaseOperation,
    id: string,
    options: DocumentOptions,
  ): Promise<{ table: TableInfo; existing: OriginalRevision }> {
    this.#assertOpen();
    const resolved = tableOfId(this.#catalog, operation, id, options);
    if (resolved === null) throw nonexistentDocumentError(operation, id);
    const { table } = resolved;
    assertWritableTable(table.name, options.isSystem === true);
    this.#limits.addInterval();
    const existing = await this.#read(table, resolved.id);
    if (existing === null) throw nonexistentDocumentError(operation, id);
    await this.#tableForWrite(table.name);
    return { table, existing };
  }

  /**
   * The table to write to, created in this transaction when missing. Records the derived reads
   * that make concurrent schema changes and table creations conflict with this write.
   */
  async #tableForWrite(name: string): Promise<TableInfo> {
    let table = visibleTable(this.#catalog, name);
    if (table === undefined) {
      this.#recordTableLookup(name);
      // Serialises table creations: a concurrent creation writes `_tables` and conflicts.
      this.readSet.add(`${TABLES_TABLE_NUMBER}/${BY_ID}`, FULL_INTERVAL);
      const number = this.#catalog.nextTableNumber(isSystemTableName(name));
      await this.writeMetadata(TABLES_TABLE_NUMBER, null, {
        name,
        number,
        documentType: null,
      });
      table = visibleTable(this.#catalog, name)!;
    }
    if (!this.#writtenTables.has(table.number)) {
      this.#writtenTables.add(table.number);
      this.#recordTableLookup(name);
      this.readSet.add(
        `${INDEX_TABLE_NUMBER}/${INDEX_BY_TABLE}`,
        prefixInterval([table.number]),
      );
    }
    return table;
  }

  /** Validates and buffers a new version of a user document. */
  #put(
    table: TableInfo,
    existing: OriginalRevision | null,
    document: Document,
  ): void {
    validateDocumentShape(document);
    if (table.documentType !== null) {
      const error = validateValue(table.documentType, userFields(document), {
        tableNumberOf: (name) => visibleTable(this.#catalog, name)?.number,
      });
      if (error !== null) throw schemaViolationError(table.name, error);
    }
    this.#recordWrite(table, existing, document, getDocumentSize(document));
  }

  #recordWrite(
    table: TableInfo,
    existing: OriginalRevision | null,
    document: Document | null,
    size: number,
  ): void {
    const id = document?._id ?? existing!.document._id;
    const previous = this.#writes.get(id);
    if (table.docId !== null)
      this.#limits.addWrite(size, previous === undefined);
    const original = previous !== undefined ? previous.original : existing;
    this.#writes.put(table, id, original, document, size);
    if (table.docId === null)
      this.#catalog = this.#catalog.apply(table.number, id, document);
  }

  #openScan(
    index: ResolvedIndex,
    interval: KeyInterval,
    order: Order,
    onRead: (size: number) => void,
  ): IndexScanIterator {
    const table = visibleTable(this.#catalog, index.tableName);
    const target: ScanTarget = {
      indexId: index.id,
      fields: index.fields,
      tableNumber: table?.number ?? -1,
      stored: table !== undefined,
    };
    const growing: GrowingInterval = {
      start: interval.start,
      end: interval.end,
      empty: true,
    };
    this.readSet.addGrowing(index.id, growing);
    const { reader, cache } = this.#context;
    const context = {
      reader,
      readTs: this.readTs,
      writes: this.#writes,
      cache,
      onRead,
      onStored: (id: string, revision: OriginalRevision, size: number) =>
        this.#snapshotReads.set(id, { revision, size }),
    };
    return new TransactionScan(context, target, interval, order, growing);
  }
}
