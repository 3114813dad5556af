/**
 * Blob storage for `ctx.storage` and the upload/download routes: bytes in, an opaque storage key
 * out. The `_storage` documents (size, sha256, content type) live in the database; this layer
 * only keeps bytes, so it knows nothing about ids, URLs or content types.
 *
 * Two implementations: {@link DiskFileStore} (files under the data directory, written
 * atomically) and {@link MemoryFileStore} (for the test harness).
 */
import { createHash, randomBytes, randomUUID, type Hash } from "node:crypto";
import {
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  type FileHandle,
} from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { BackendError } from "../errors/backend-error.js";

/** What {@link FileStore.put} wrote. */
export interface StoredBlob {
  /** Opaque key for `open` and `delete` (a UUID). */
  readonly storageKey: string;
  /** SHA-256 of the bytes, standard base64 (what `_storage.sha256` holds). */
  readonly sha256Base64: string;
  /** The same digest in lowercase hex (what the `storageGetMetadata` syscall returns). */
  readonly sha256Hex: string;
  /** Length in bytes. */
  readonly size: number;
}

export interface PutBlobOptions {
  /** Rejects (and keeps nothing) once the body exceeds this many bytes. */
  readonly maxBytes?: number | undefined;
  /**
   * The digest the sender announced (base64, as `storage.store(blob, { sha256 })` and the upload
   * `Digest: sha-256=` header carry it); a mismatch rejects and keeps nothing.
   */
  readonly expectedSha256Base64?: string | undefined;
}

/** An open blob: its length and a stream of its bytes (read once). */
export interface OpenedBlob {
  readonly size: number;
  readonly stream: ReadableStream<Uint8Array>;
}

/** A blob body: bytes, or any async iterable of chunks (a WHATWG `ReadableStream` is one). */
export type BlobBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface FileStore {
  /**
   * Stores `body` under a new key. The blob becomes visible to `open` only once it is complete
   * and durable; a failed or rejected put leaves nothing behind. Rejects with `BackendError`
   * `BadRequest` (`FileTooLarge`, `Sha256Mismatch`) for bad input, and with the body's own error
   * if reading it fails.
   */
  put(body: BlobBody, options?: PutBlobOptions): Promise<StoredBlob>;
  /** Opens a blob for reading; null when no blob has this key (never stored, or deleted). */
  open(storageKey: string): Promise<OpenedBlob | null>;
  /** Deletes a blob; true if it existed. Readers that already opened it may finish. */
  delete(storageKey: string): Promise<boolean>;
}

/**
 * Temporary files older than this are leftovers of a crashed write and are removed when a store is
 * created. Younger ones may belong to another process sharing the directory, so they are kept.
 */
export const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

const STORAGE_KEY_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TEMP_DIRECTORY = "tmp";

function isStorageKey(key: string): boolean {
  return STORAGE_KEY_PATTERN.test(key);
}

/** Hashes and counts chunks as they pass, enforcing `maxBytes`. */
class BlobDigest {
  readonly #hash: Hash = createHash("sha256");
  readonly #maxBytes: number;
  size = 0;

  constructor(options: PutBlobOptions | undefined) {
    this.#maxBytes = options?.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > this.#maxBytes) {
      throw new BackendError(
        "BadRequest",
        "FileTooLarge",
        `The file is larger than the limit of ${this.#maxBytes} bytes.`,
      );
    }
    this.#hash.update(chunk);
  }

  finish(storageKey: string, options: PutBlobOptions | undefined): StoredBlob {
    const digest = this.#hash.digest();
    const sha256Base64 = digest.toString("base64");
    const expected = options?.expectedSha256Base64;
    if (expected !== undefined && expected !== sha256Base64) {
      throw new BackendError(
        "BadRequest",
        "Sha256Mismatch",
        `The file's SHA-256 digest is ${sha256Base64}, but ${expected} was expected.`,
      );
    }
    return {
      storageKey,
      sha256Base64,
      sha256Hex: digest.toString("hex"),
      size: this.size,
    };
  }
}

async function* chunksOf(body: BlobBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

/**
 * Blobs as files: `<directory>/<first two key characters>/<key>`. A put writes
 * `<directory>/tmp/<key>.<random>`, fsyncs it, renames it into place and fsyncs the target
 * directory, so after a crash a blob is either complete under its final name or absent. Stale
 * temporary files are removed when the store is created.
 */
export class DiskFileStore implements FileStore {
  readonly #directory: string;

  private constructor(directory: string) {
    this.#directory = directory;
  }

  /**
   * Opens (creating if needed) a store under `directory` and removes temporary files older than
   * `staleTempFileMs` (default {@link STALE_TEMP_FILE_MS}), the remains of interrupted writes.
   */
  static async create(
    directory: string,
    options: {
      readonly staleTempFileMs?: number;
      readonly nowMs?: number;
    } = {},
  ): Promise<DiskFileStore> {
    const tempDirectory = join(directory, TEMP_DIRECTORY);
    await mkdir(tempDirectory, { recursive: true });
    await syncDirectory(directory);
    const cutoff =
      (options.nowMs ?? Date.now()) -
      (options.staleTempFileMs ?? STALE_TEMP_FILE_MS);
    for (const name of await readdir(tempDirectory)) {
      const path = join(tempDirectory, name);
      const info = await stat(path).catch(() => null);
      if (info !== null && info.mtimeMs <= cutoff)
        await rm(path, { force: true });
    }
    return new DiskFileStore(directory);
  }

  async put(body: BlobBody, options?: PutBlobOptions): Promise<StoredBlob> {
    const storageKey = randomUUID();
    const tempPath = join(
      this.#directory,
      TEMP_DIRECTORY,
      `${storageKey}.${randomBytes(4).toString("hex")}`,
    );
    const digest = new BlobDigest(options);
    try {
      const handle = await open(tempPath, "wx");
      try {
        for await (const chunk of chunksOf(body)) {
          digest.add(chunk);
          await writeAll(handle, chunk);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      const blob = digest.finish(storageKey, options);
      const shard = this.#shardDirectory(storageKey);
      await mkdir(shard, { recursive: true });
      await rename(tempPath, join(shard, storageKey));
      await syncDirectory(shard);
      return blob;
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async open(storageKey: string): Promise<OpenedBlob | null> {
    if (!isStorageKey(storageKey)) return null;
    let handle: FileHandle;
    try {
      handle = await open(this.#pathFor(storageKey), "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const nodeStream = handle.createReadStream({ autoClose: true });
      return {
        size,
        stream: Readable.toWeb(nodeStream) as ReadableStream<Uint8Array>,
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(storageKey: string): Promise<boolean> {
    if (!isStorageKey(storageKey)) return false;
    try {
      await rm(this.#pathFor(storageKey));
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    await syncDirectory(this.#shardDirectory(storageKey));
    return true;
  }

  /** Keys of every stored blob (for diagnostics and tests). */
  async listKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (const shard of await readdir(this.#directory)) {
      if (shard === TEMP_DIRECTORY) continue;
      keys.push(
        ...(await readdir(join(this.#directory, shard))).filter(isStorageKey),
      );
    }
    return keys.sort();
  }

  #shardDirectory(storageKey: string): string {
    return join(this.#directory, storageKey.slice(0, 2));
  }

  #pathFor(storageKey: string): string {
    return join(this.#shardDirectory(storageKey), storageKey);
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(
      chunk,
      offset,
      chunk.byteLength - offset,
    );
    offset += bytesWritten;
  }
}

/** Makes a rename or unlink in `directory` durable (a directory fsync, as SQLite does). */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ENOENT";
}

/** Blobs in memory, with the same contract; for tests and the `convexTest` harness. */
export class MemoryFileStore implements FileStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(body: BlobBody, options?: PutBlobOptions): Promise<StoredBlob> {
    const digest = new BlobDigest(options);
    const chunks: Uint8Array[] = [];
    for await (const chunk of chunksOf(body)) {
      digest.add(chunk);
      chunks.push(chunk.slice());
    }
    const storageKey = randomUUID();
    const blob = digest.finish(storageKey, options);
    this.#blobs.set(storageKey, Buffer.concat(chunks));
    return blob;
  }

  open(storageKey: string): Promise<OpenedBlob | null> {
    const bytes = this.#blobs.get(storageKey);
    if (bytes === undefined) return Promise.resolve(null);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice());
        controller.close();
      },
    });
    return Promise.resolve({ size: bytes.byteLength, stream });
  }

  delete(storageKey: string): Promise<boolean> {
    return Promise.resolve(this.#blobs.delete(storageKey));
  }
}
