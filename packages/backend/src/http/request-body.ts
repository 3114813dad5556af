import { promisify } from "node:util";
import zlib from "node:zlib";
import { BackendError } from "../errors/backend-error.js";
import { bufferedBody } from "./fast-path.js";

const brotliDecompress = promisify(zlib.brotliDecompress);
const gunzip = promisify(zlib.gunzip);

/**
 * Largest function-call body: Convex caps function arguments at 16 MiB; a little headroom covers
 * the envelope (`path`, `format`) and the JSON encoding.
 */
export const MAX_FUNCTION_BODY_BYTES = 17 * 1024 * 1024;

/** Largest push body (after decompression): the real backend accepts up to 200 MB of modules. */
export const MAX_PUSH_BODY_BYTES = 200 * 1024 * 1024;

/** Largest HTTP action request body: Convex's limit for HTTP actions is 20 MiB. */
export const MAX_HTTP_ACTION_BODY_BYTES = 20 * 1024 * 1024;

/** Options for reading a body: the size limit applies both before and after decompression. */
export interface ReadBodyOptions {
  readonly maxBytes: number;
}

/** Where a request's header values come from: a `Headers`, or the Node adapter's view of one. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * Reads the whole request body as bytes, decoding `Content-Encoding: br` or `gzip`.
 * Throws `BackendError(BadRequest, "PayloadTooLarge")` when the body (compressed or not) exceeds
 * `maxBytes`, and `BadRequest` for an unknown encoding or a corrupt compressed stream.
 */
export async function readBodyBytes(
  request: Request,
  options: ReadBodyOptions,
): Promise<Buffer> {
  return await decodeBody(
    await readRawBody(request, options),
    request.headers,
    options,
  );
}

/** The body of `request` as it came (not decoded), refused past `maxBytes`. */
export async function readRawBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > options.maxBytes) throw payloadTooLarge(options.maxBytes);
  return (
    bufferedBody(request) ?? (await readLimited(request, options.maxBytes))
  );
}

/**
 * A body as it came (`raw`), decoded per its `Content-Encoding` (`br`, `gzip` or none), with the
 * errors of {@link readBodyBytes}.
 */
export async function decodeBody(
  raw: Buffer,
  headers: HeaderLookup,
  options: ReadBodyOptions,
): Promise<Buffer> {
  if (raw.length > options.maxBytes) throw payloadTooLarge(options.maxBytes);
  const encoding = (headers.get("content-encoding") ?? "identity")
    .trim()
    .toLowerCase();
  switch (encoding) {
    case "identity":
    case "":
      return raw;
    case "br":
      return await decompress(
        () => brotliDecompress(raw, { maxOutputLength: options.maxBytes }),
        options.maxBytes,
      );
    case "gzip":
      return await decompress(
        () => gunzip(raw, { maxOutputLength: options.maxBytes }),
        options.maxBytes,
      );
    default:
      throw new BackendError(
        "BadRequest",
        "UnsupportedContentEncoding",
        `Unsupported Content-Encoding "${encoding}": expected br, gzip or none.`,
      );
  }
}

/**
 * Reads and parses a JSON body (see `readBodyBytes` for limits and decoding). An empty body
 * parses as `null`. Throws `BackendError(BadRequest, "BadJsonBody")` for text that is not JSON.
 */
export async function readJsonBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<unknown> {
  return parseJsonBody(await readBodyBytes(request, options));
}

/** Parses decoded body bytes as JSON, with the errors of {@link readJsonBody}. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return null;
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new BackendError(
      "BadRequest",
      "BadJsonBody",
      `Failed to parse the JSON body: ${reason}`,
    );
  }
}

async function readLimited(
  request: Request,
  maxBytes: number,
): Promise<Buffer> {
  if (request.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

async function decompress(
  run: () => Promise<Buffer>,
  maxBytes: number,
): Promise<Buffer> {
  try {
    return await run();
  } catch (e) {
    if (
      e instanceof RangeError ||
      (e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE"
    ) {
      throw payloadTooLarge(maxBytes);
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw new BackendError(
      "BadRequest",
      "BadCompressedBody",
      `Failed to decompress the request body: ${reason}`,
    );
  }
}

function payloadTooLarge(maxBytes: number): BackendError {
  return new BackendError(
    "BadRequest",
    "PayloadTooLarge",
    `The request body is larger than the limit of ${maxBytes} bytes.`,
  );
}
