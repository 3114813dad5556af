/**
 * Side tables that let the Node adapter and the core skip WHATWG streams for plain bodies.
 * Building a `Request` with a `signal` and reading bodies through `ReadableStream`s costs about
 * half a millisecond per request in Node 20's undici, more than the rest of a point query. The
 * adapter records the buffered request body and the client-disconnect signal here; responses
 * built by `responses.ts` record their text. Whoever finds nothing falls back to the standard
 * `Request`/`Response` API, so handlers stay plain fetch code and tests need no adapter. On the
 * API port the adapter's requests carry no standard body at all (`standardBodies: false`), so
 * handlers there read bodies through `readBodyBytes`/`readJsonBody` or `bodyBytes`.
 */

const requestBodies = new WeakMap<Request, Buffer>();
const requestSignals = new WeakMap<Request, () => AbortSignal>();
const responseTexts = new WeakMap<Response, string>();

/** Records the already-buffered body of `request` (Node adapter only). */
export function setBufferedBody(request: Request, body: Buffer): void {
  requestBodies.set(request, body);
}

/** The buffered body of `request`, or undefined when it must be read from `request.body`. */
export function bufferedBody(request: Request): Buffer | undefined {
  return requestBodies.get(request);
}

/** The whole body of `request` as it came (no decoding), from the buffer or the stream. */
export async function bodyBytes(request: Request): Promise<Uint8Array> {
  return bufferedBody(request) ?? new Uint8Array(await request.arrayBuffer());
}

/**
 * Records how to get the signal that aborts when the client of `request` goes away or the
 * server shuts down (Node adapter only; made on first use).
 */
export function setClientSignal(
  request: Request,
  signal: () => AbortSignal,
): void {
  requestSignals.set(request, signal);
}

/** Aborts when the client goes away or the server shuts down; else `request.signal`. */
export function clientSignal(request: Request): AbortSignal {
  return requestSignals.get(request)?.() ?? request.signal;
}

/** Records the text body `response` was built from. */
export function setResponseText(response: Response, text: string): Response {
  responseTexts.set(response, text);
  return response;
}

/** The text body `response` was built from, or undefined when it must be streamed. */
export function responseText(response: Response): string | undefined {
  return responseTexts.get(response);
}
