/**
 * File storage over HTTP: `POST /api/storage/upload?token=…` (the URL `generateUploadUrl`
 * returns) stores the body and answers `{storageId}`; `GET /api/storage/<storageId>` (the URL
 * `getUrl` returns) serves the bytes with their content type, 404 once the file is deleted.
 */
import { BackendError } from "../../errors/backend-error.js";
import { bodyBytes } from "../fast-path.js";
import type { HttpDeps } from "../http-deps.js";
import { jsonResponse } from "../responses.js";

const PREFIX = "/api/storage/";
const UPLOAD_PATH = "/api/storage/upload";

/** Whether `pathname` belongs to the storage routes. */
export function isStoragePath(pathname: string): boolean {
  return pathname.startsWith(PREFIX);
}

/** Answers a storage request. Throws `BackendError` (404, 400, 401) through the error exit. */
export async function handleStorageRequest(
  request: Request,
  url: URL,
  deps: HttpDeps,
): Promise<Response> {
  const storage = deps.storage;
  if (storage === undefined) throw notFound(url.pathname);
  if (url.pathname === UPLOAD_PATH && request.method === "POST") {
    const storageId = await storage.upload(url.searchParams.get("token"), {
      body: await bodyBytes(request),
      contentType: request.headers.get("content-type"),
      sha256Base64: digestOf(request),
    });
    return jsonResponse({ storageId });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    throw notFound(url.pathname);
  }
  const storageId = decodeURIComponent(url.pathname.slice(PREFIX.length));
  const file = await storage.open(storageId);
  if (file === null) throw notFound(url.pathname);
  const headers = {
    "Content-Type": file.contentType ?? "application/octet-stream",
    "Content-Length": String(file.size),
  };
  if (request.method === "HEAD") {
    await file.stream.cancel();
    return new Response(null, { headers });
  }
  return new Response(file.stream, { headers });
}

/** The `Digest: sha-256=<base64>` header, if any. */
function digestOf(request: Request): string | undefined {
  const digest = request.headers.get("digest");
  const match = digest === null ? null : /sha-256=([^,\s]+)/i.exec(digest);
  return match?.[1];
}

function notFound(path: string): BackendError {
  return new BackendError(
    "NotFound",
    "FileNotFound",
    `File not found: ${path}.`,
  );
}
