import http from "node:http";
import type { Duplex } from "node:stream";
import { BackendError } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import type { CallLane, LaneResponse } from "./call-lane.js";
import { responseText, setBufferedBody, setClientSignal } from "./fast-path.js";
import type { FetchHandler } from "./http-app.js";
import type { HeaderLookup } from "./request-body.js";
import { errorResponse } from "./responses.js";

/**
 * Takes over a socket after an HTTP `Upgrade` request (the WebSocket seam: `sync/` plugs its
 * transport in here). It owns `socket` from then on and must close it.
 */
export type UpgradeHandler = (
  request: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
) => void;

/** How to run a `NodeHttpServer`. */
export interface NodeHttpServerOptions {
  readonly fetch: FetchHandler;
  readonly logger: Logger;
  /** Interface to listen on; 127.0.0.1 unless the operator asks for more. */
  readonly host?: string | undefined;
  /** Port to listen on; 0 picks a free one (see `port` after `listen`). */
  readonly port: number;
  /** Requests with a larger body are refused before the handler sees them. */
  readonly maxBodyBytes: number;
  /**
   * Whether each `Request` also carries its body for the standard API (`request.body`,
   * `arrayBuffer()`): needed where the request goes on to user code (HTTP actions). Otherwise
   * the body is only in `bufferedBody(request)`, which spares building a stream per request.
   */
  readonly standardBodies: boolean;
  /** Serves the requests it accepts instead of `fetch`, without building a `Request`. */
  readonly lane?: CallLane | undefined;
  readonly upgrade?: UpgradeHandler | undefined;
}

// Longer than the 4-5 s idle timeouts of fetch clients, so they, not we, close idle sockets.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
// How long `close()` waits for requests in flight before cutting their connections.
const DEFAULT_DRAIN_MS = 5_000;

/**
 * Adapts Node's `http` server to a `FetchHandler`: converts each `IncomingMessage` to a
 * `Request` (body buffered up to `maxBodyBytes`, `clientSignal(request)` aborted when the client goes
 * away) and streams the `Response` back; requests the `lane` accepts (function calls) skip both
 * conversions. Keep-alive is on. This is the only module that imports `node:http`.
 */
export class NodeHttpServer {
  readonly #options: NodeHttpServerOptions;
  readonly #server: http.Server;
  readonly #inFlight = new Set<Promise<void>>();
  /** One per request in flight: aborts its signal when its client leaves or the server closes. */
  readonly #aborters = new Set<() => void>();

  constructor(options: NodeHttpServerOptions) {
    this.#options = options;
    this.#server = http.createServer((req, res) =>
      this.#track(this.#serve(req, res)),
    );
    this.#server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.#server.on(
      "upgrade",
      (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        if (options.upgrade) options.upgrade(req, socket, head);
        else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      },
    );
  }

  /** Starts listening; resolves with the bound port. Rejects if the port is taken. */
  async listen(): Promise<number> {
    const host = this.#options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    return this.port;
  }

  /** The bound port; only meaningful after `listen()`. */
  get port(): number {
    const address = this.#server.address();
    return typeof address === "object" && address !== null
      ? address.port
      : this.#options.port;
  }

  /**
   * Stops accepting connections, closes idle keep-alive sockets, aborts the client signal of
   * every request in flight (long-polls answer at once; other work finishes), waits up to
   * `drainMs` for them, then cuts whatever is left. Safe to call twice.
   */
  async close(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) =>
      this.#server.close(() => resolve()),
    );
    this.#server.closeIdleConnections();
    for (const abort of this.#aborters) abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([Promise.all([...this.#inFlight]), deadline]);
    clearTimeout(timer);
    this.#server.closeAllConnections();
    await closed;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const lane = this.#options.lane;
    const method = req.method ?? "GET";
    const path = pathOf(req.url ?? "/");
    if (lane?.accepts(method, path) === true) {
      await this.#serveCall(lane, req, res, { method, path });
      return;
    }
    // Most handlers never look at the signal, so its controller is made on first use.
    let aborter: AbortController | null = null;
    let aborted = false;
    const abort = (): void => {
      aborted = true;
      aborter?.abort();
    };
    const signal = (): AbortSignal => {
      if (aborter === null) {
        aborter = new AbortController();
        if (aborted) aborter.abort();
      }
      return aborter.signal;
    };
    this.#aborters.add(abort);
    res.on("close", () => {
      this.#aborters.delete(abort);
      if (!res.writableFinished) abort();
    });
    let response: Response;
    try {
      const request = await this.#toRequest(req, signal);
      response = await this.#options.fetch(request);
    } catch (error) {
      response = errorResponse(error, this.#options.logger);
      res.setHeader("Connection", "close");
    }
    await writeResponse(response, res);
  }

  /** Serves a request the lane accepted; an unreadable body goes to the error exit. */
  async #serveCall(
    lane: CallLane,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: { method: string; path: string },
  ): Promise<void> {
    let answer: LaneResponse;
    try {
      const body = await readBody(req, this.#options.maxBodyBytes);
      answer = await lane.serve({
        ...target,
        headers: headerLookup(req),
        body,
      });
    } catch (error) {
      res.setHeader("Connection", "close");
      await writeResponse(errorResponse(error, this.#options.logger), res);
      return;
    }
    res.statusCode = answer.status;
    for (const name in answer.headers)
      res.setHeader(name, answer.headers[name]!);
    res.end(answer.text);
  }

  async #toRequest(
    req: http.IncomingMessage,
    signal: () => AbortSignal,
  ): Promise<Request> {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2)
      headers.append(raw[i] as string, raw[i + 1] as string);
    const url = `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`;
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const body = hasBody
      ? await readBody(req, this.#options.maxBodyBytes)
      : null;
    const request = new Request(url, {
      method,
      headers,
      body: this.#options.standardBodies ? body : null,
    });
    if (body !== null) setBufferedBody(request, body);
    setClientSignal(request, signal);
    return request;
  }
}

/** The path of a request target, without its query. */
function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query < 0 ? target : target.slice(0, query);
}

/** `req`'s headers through the `get` of `Headers` (repeated values joined as Node joins them). */
function headerLookup(req: http.IncomingMessage): HeaderLookup {
  return {
    get(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

/**
 * Buffers the body of `req` (at most `maxBytes`). Reads with events rather than `for await`,
 * which builds an async iterator per request.
 */
function readBody(
  req: http.IncomingMessage,
  maxBytes: number,
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) return Promise.reject(bodyTooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks, total)));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new Error("The client closed the request"));
    });
  });
}

function bodyTooLarge(maxBytes: number): BackendError {
  return new BackendError(
    "BadRequest",
    "PayloadTooLarge",
    `The request body is larger than the limit of ${maxBytes} bytes.`,
  );
}

async function writeResponse(
  response: Response,
  res: http.ServerResponse,
): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  const text = responseText(response);
  if (text !== undefined || response.body === null) {
    res.end(text);
    return;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await drainedOrClosed(res);
    }
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => undefined);
    res.end();
  }
}

function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.once("drain", resolve);
    res.once("close", resolve);
  });
}
