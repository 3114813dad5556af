/**
 * File storage behind `ctx.storage` and the upload/download routes: bytes in a `FileStore`
 * (`model/file-store.ts`), one `_storage` document per file (`sha256` base64, `size`,
 * `contentType`, and the internal `storageKey`), storage ids are the documents' ids.
 *
 * Upload URLs carry a token signed with the instance's key (HMAC-SHA256) that expires after
 * {@link UPLOAD_TOKEN_TTL_MS}. A deleted document's blob is removed after the deleting commit. A
 * blob whose transaction never commits (a failed mutation, an OCC retry, a crash) is an orphan:
 * {@link FileStorage.sweepOrphans} removes them at startup.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../engine/database.js";
import { tableNumberOfId } from "../engine/id-table-cache.js";
import type { Transaction } from "../engine/transaction.js";
import { BackendError } from "../errors/backend-error.js";
import type {
  BlobBody,
  FileStore,
  OpenedBlob,
  StoredBlob,
} from "../model/file-store.js";
import type { Clock } from "../shared/clock.js";
import type { Document } from "../values/value.js";

/** The system table of stored files. */
export const STORAGE_TABLE = "_storage";
/** How long an upload URL stays valid (Convex: one hour). */
export const UPLOAD_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Default size limit of one file. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

export interface FileStorageOptions {
  readonly database: Database;
  readonly files: FileStore;
  readonly clock: Clock;
  /** Signs upload tokens; keep it stable across restarts (derived from the instance secret). */
  readonly tokenSecret: Uint8Array;
  /** Where upload and download URLs point (`<cloud origin>/api/storage/…`). */
  readonly origin: string;
  /** Files larger than this are refused (`FileTooLarge`); default {@link DEFAULT_MAX_FILE_BYTES}. */
  readonly maxFileBytes?: number | undefined;
}

/** What `ctx.storage.getMetadata` returns: `sha256` in hex, as Convex's syscall does. */
export interface FileMetadata {
  readonly storageId: string;
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string | null;
}

/** A stored file opened for download. */
export interface OpenedFile extends OpenedBlob {
  readonly contentType: string | null;
}

/** How a new file arrives: its bytes, and what the sender said about them. */
export interface NewFile {
  readonly body: BlobBody;
  readonly contentType: string | null;
  /** The announced SHA-256 (base64); a mismatch rejects with `Sha256Mismatch`. */
  readonly sha256Base64?: string | undefined;
}

export class FileStorage {
  readonly #options: FileStorageOptions;
  readonly #maxFileBytes: number;
  /** Blobs of documents deleted in transactions not yet committed: storage id → key. */
  readonly #pendingDeletes = new Map<string, string>();

  constructor(options: FileStorageOptions) {
    this.#options = options;
    this.#maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    options.database.onCommit((commit) => {
      for (const written of commit.documents) {
        if (written.tableName === STORAGE_TABLE && written.document === null) {
          this.#deleteBlobOf(written.id);
        }
      }
    });
  }

  /** A new upload URL (`<origin>/api/storage/upload?token=…`), valid for an hour. */
  generateUploadUrl(): string {
    const expiresMs = this.#options.clock.now() + UPLOAD_TOKEN_TTL_MS;
    const payload = `${expiresMs}.${randomBytes(12).toString("base64url")}`;
    const token = `${payload}.${this.#sign(payload)}`;
    return `${this.#options.origin}/api/storage/upload?token=${encodeURIComponent(token)}`;
  }

  /**
   * Stores an upload made to a {@link generateUploadUrl} URL and returns its storage id.
   *
   * @throws BackendError `Unauthenticated` `InvalidUploadToken` for a bad or expired token,
   *   `BadRequest` `FileTooLarge` / `Sha256Mismatch`.
   */
  async upload(token: string | null, file: NewFile): Promise<string> {
    this.#checkToken(token);
    return await this.storeInOwnTransaction(file);
  }

  /** Stores a file and commits its `_storage` document (actions, HTTP actions, uploads). */
  async storeInOwnTransaction(file: NewFile): Promise<string> {
    const blob = await this.#put(file);
    try {
      const { value } = await this.#options.database.runInTransaction((tx) =>
        insertDocument(tx, blob, file.contentType),
      );
      return value;
    } catch (error) {
      await this.#options.files.delete(blob.storageKey);
      throw error;
    }
  }

  /** Stores a file and inserts its document in `tx` (mutations); an abort leaves an orphan. */
  async storeIn(tx: Transaction, file: NewFile): Promise<string> {
    const blob = await this.#put(file);
    return await insertDocument(tx, blob, file.contentType);
  }

  /** The file's metadata as of `tx`, or null when there is no such file. */
  async metadata(
    tx: Transaction,
    storageId: string,
  ): Promise<FileMetadata | null> {
    const document = await storageDocument(tx, storageId);
    if (document === null) return null;
    return {
      storageId: document._id,
      sha256: Buffer.from(stringField(document, "sha256"), "base64").toString(
        "hex",
      ),
      size: Number(document["size"]),
      contentType: contentTypeOf(document),
    };
  }

  /** The download URL of the file, or null when there is no such file in `tx`. */
  async getUrl(tx: Transaction, storageId: string): Promise<string | null> {
    const document = await storageDocument(tx, storageId);
    return document === null
      ? null
      : `${this.#options.origin}/api/storage/${document._id}`;
  }

  /**
   * Deletes the file's document in `tx`; once `tx` commits its URL stops working and its bytes
   * are removed.
   */
  async deleteIn(tx: Transaction, storageId: string): Promise<void> {
    const document = await storageDocument(tx, storageId);
    if (document === null) throw notFound(storageId);
    await tx.delete(document._id, { table: STORAGE_TABLE, isSystem: true });
    this.#pendingDeletes.set(document._id, stringField(document, "storageKey"));
  }

  /** Deletes the file and its bytes in a transaction of its own (actions). */
  async deleteInOwnTransaction(storageId: string): Promise<void> {
    const { value: key } = await this.#options.database.runInTransaction(
      async (tx) => {
        const document = await storageDocument(tx, storageId);
        if (document === null) throw notFound(storageId);
        await tx.delete(document._id, { table: STORAGE_TABLE, isSystem: true });
        return stringField(document, "storageKey");
      },
    );
    this.#pendingDeletes.delete(storageId);
    await this.#options.files.delete(key);
  }

  /** Opens the file as of `tx` for reading, or null when it does not exist. */
  async openIn(tx: Transaction, storageId: string): Promise<OpenedFile | null> {
    const document = await storageDocument(tx, storageId);
    if (document === null) return null;
    const opened = await this.#options.files.open(
      stringField(document, "storageKey"),
    );
    return opened === null
      ? null
      : { ...opened, contentType: contentTypeOf(document) };
  }

  /** Opens the file for download at the latest snapshot, or null (never stored, or deleted). */
  open(storageId: string): Promise<OpenedFile | null> {
    return this.read((tx) => this.openIn(tx, storageId));
  }

  /** Runs `fn` in a read transaction at the latest snapshot. */
  async read<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = this.#options.database.begin();
    try {
      return await fn(tx);
    } finally {
      tx.close();
    }
  }

  /**
   * Removes blobs no `_storage` document refers to (never committed, or deleted). Only for blobs
   * older than the stores' own stale-write window is this safe while other writers run, so call
   * it at startup, before serving.
   */
  async sweepOrphans(listKeys: () => Promise<string[]>): Promise<number> {
    const referenced = await this.read(async (tx) => {
      const keys = new Set<string>();
      if (tx.catalog.tableByName(STORAGE_TABLE) === undefined) return keys;
      const stream = tx.query({
        source: {
          type: "FullTableScan",
          tableName: STORAGE_TABLE,
          order: "asc",
        },
        operators: [],
      });
      try {
        for (let d = await stream.next(); d !== null; d = await stream.next()) {
          keys.add(stringField(d, "storageKey"));
        }
      } finally {
        stream.close();
      }
      return keys;
    });
    let removed = 0;
    for (const key of await listKeys()) {
      if (!referenced.has(key) && (await this.#options.files.delete(key))) {
        removed++;
      }
    }
    return removed;
  }

  #deleteBlobOf(storageId: string): void {
    const key = this.#pendingDeletes.get(storageId);
    if (key === undefined) return;
    this.#pendingDeletes.delete(storageId);
    // A blob left behind by a failed delete is an orphan: the startup sweep removes it.
    this.#options.files.delete(key).catch(() => undefined);
  }

  #put(file: NewFile): Promise<StoredBlob> {
    return this.#options.files.put(file.body, {
      maxBytes: this.#maxFileBytes,
      expectedSha256Base64: file.sha256Base64,
    });
  }

  #sign(payload: string): string {
    return createHmac("sha256", this.#options.tokenSecret)
      .update(`hull upload token:${payload}`)
      .digest("base64url");
  }

  #checkToken(token: string | null): void {
    const parts = token?.split(".") ?? [];
    const [expires, nonce, signature] = parts;
    const valid =
      parts.length === 3 &&
      expires !== undefined &&
      nonce !== undefined &&
      signature !== undefined &&
      safeEqual(signature, this.#sign(`${expires}.${nonce}`));
    if (!valid) {
      throw new BackendError(
        "Unauthenticated",
        "InvalidUploadToken",
        "The upload URL is not valid for this deployment: generate a new one with ctx.storage.generateUploadUrl().",
      );
    }
    if (Number(expires) < this.#options.clock.now()) {
      throw new BackendError(
        "Unauthenticated",
        "InvalidUploadToken",
        "The upload URL has expired: generate a new one with ctx.storage.generateUploadUrl().",
      );
    }
  }
}

async function insertDocument(
  tx: Transaction,
  blob: StoredBlob,
  contentType: string | null,
): Promise<string> {
  return await tx.insert(
    STORAGE_TABLE,
    {
      sha256: blob.sha256Base64,
      size: blob.size,
      ...(contentType === null || contentType === "" ? {} : { contentType }),
      storageKey: blob.storageKey,
    },
    { isSystem: true },
  );
}

/**
 * `document` as user code sees it: `_storage` documents without the internal `storageKey`, so
 * they have exactly Convex's fields (`sha256`, `size`, `contentType`).
 */
export function userVisibleDocument(
  tx: Transaction,
  document: Document,
): Document {
  if (!("storageKey" in document)) return document;
  const storageTable = tx.catalog.tableByName(STORAGE_TABLE);
  if (storageTable?.number !== tableNumberOfId(document._id)) return document;
  const visible = { ...document };
  delete visible["storageKey"];
  return visible;
}

/** The `_storage` document of `storageId`, or null (also for ids of other tables). */
async function storageDocument(
  tx: Transaction,
  storageId: string,
): Promise<Document | null> {
  if (tx.normalizeId(STORAGE_TABLE, storageId) === null) return null;
  return await tx.get(storageId, { table: STORAGE_TABLE, isSystem: true });
}

function stringField(document: Document, field: string): string {
  const value = document[field];
  if (typeof value !== "string") {
    throw new Error(`_storage document ${document._id} has no ${field}`);
  }
  return value;
}

function contentTypeOf(document: Document): string | null {
  const contentType = document["contentType"];
  return typeof contentType === "string" ? contentType : null;
}

function notFound(storageId: string): BackendError {
  return new BackendError(
    "BadRequest",
    "StorageIdNotFound",
    `Storage ID "${storageId}" not found.`,
  );
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
