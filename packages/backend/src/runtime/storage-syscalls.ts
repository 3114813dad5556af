/**
 * The host half of the `ctx.storage` syscalls. Queries and mutations work against their own
 * transaction; actions and HTTP actions (no transaction) read at the latest snapshot and write in
 * transactions of their own. Blobs cross from the sandbox as base64 text (`storageStore`,
 * `storageGet`; the sandbox turns `storage/storeBlob` and `storage/getBlob` into those).
 */
import type { Transaction } from "../engine/transaction.js";
import type { FileStorage } from "./file-storage.js";
import type { InvocationKind } from "./sandbox/invocation.js";

/** The syscalls {@link storageSyscall} answers. */
export const STORAGE_SYSCALLS: ReadonlySet<string> = new Set([
  "1.0/storageGenerateUploadUrl",
  "1.0/storageGetUrl",
  "1.0/storageGetMetadata",
  "1.0/storageDelete",
  "1.0/storageStore",
  "1.0/storageGet",
]);

export interface StorageSyscallScope {
  readonly kind: InvocationKind;
  readonly tx: Transaction | null;
}

/** Answers one storage syscall with its JSON text. */
export async function storageSyscall(
  storage: FileStorage | null,
  scope: StorageSyscallScope,
  op: string,
  args: Record<string, unknown>,
): Promise<string> {
  if (storage === null) {
    throw new Error("File storage is not configured on this backend.");
  }
  const result = await answer(storage, scope, op, args);
  return JSON.stringify(result);
}

async function answer(
  storage: FileStorage,
  scope: StorageSyscallScope,
  op: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const { tx } = scope;
  const read = <T>(fn: (t: Transaction) => Promise<T>): Promise<T> =>
    tx === null ? storage.read(fn) : fn(tx);
  switch (op) {
    case "1.0/storageGenerateUploadUrl":
      requireWriter(scope, "generateUploadUrl");
      return storage.generateUploadUrl();
    case "1.0/storageGetUrl":
      return await read((t) => storage.getUrl(t, storageIdOf(args)));
    case "1.0/storageGetMetadata":
      return await read((t) => storage.metadata(t, storageIdOf(args)));
    case "1.0/storageDelete":
      requireWriter(scope, "delete");
      if (tx === null) await storage.deleteInOwnTransaction(storageIdOf(args));
      else await storage.deleteIn(tx, storageIdOf(args));
      return null;
    case "1.0/storageStore":
      return await store(storage, scope, args);
    case "1.0/storageGet":
      return await read((t) => getBlob(storage, t, storageIdOf(args)));
    default:
      throw new Error(`Unknown async operation ${op}`);
  }
}

async function store(
  storage: FileStorage,
  scope: StorageSyscallScope,
  args: Record<string, unknown>,
): Promise<string> {
  requireWriter(scope, "store");
  const blob = args["blob"];
  if (typeof blob !== "string") throw new Error("store() expects a Blob.");
  const sha256 = args["sha256"];
  const contentType = args["contentType"];
  const file = {
    body: new Uint8Array(Buffer.from(blob, "base64")),
    contentType:
      typeof contentType === "string" && contentType !== ""
        ? contentType
        : null,
    sha256Base64: typeof sha256 === "string" ? sha256 : undefined,
  };
  return scope.tx === null
    ? await storage.storeInOwnTransaction(file)
    : await storage.storeIn(scope.tx, file);
}

async function getBlob(
  storage: FileStorage,
  tx: Transaction,
  storageId: string,
): Promise<{ blob: string; contentType: string | null } | null> {
  const opened = await storage.openIn(tx, storageId);
  if (opened === null) return null;
  const chunks: Uint8Array[] = [];
  for await (const chunk of opened.stream) chunks.push(chunk);
  return {
    blob: Buffer.concat(chunks).toString("base64"),
    contentType: opened.contentType,
  };
}

function requireWriter(scope: StorageSyscallScope, method: string): void {
  if (scope.kind === "query") {
    throw new Error(`storage.${method}() is not available in queries.`);
  }
}

function storageIdOf(args: Record<string, unknown>): string {
  const storageId = args["storageId"];
  if (typeof storageId !== "string") {
    throw new Error("storageId must be a string.");
  }
  return storageId;
}
