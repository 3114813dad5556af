/**
 * Streams an HTTP action's response to the host while the action runs: the head first, then
 * each body chunk as it is produced, over the invocation's `SyscallChannel` notices (messages in
 * order with everything else the invocation sends). The host answers the HTTP request as soon as
 * the head arrives (`runtime/http-response-relay.ts`).
 */
import { Buffer } from "node:buffer";
import type { SyscallChannel } from "./invocation.js";

/** Notice carrying `{status, statusText, headers}` as JSON. */
export const HTTP_RESPONSE_HEAD = "http/responseHead";
/** Notice carrying one body chunk, base64. */
export const HTTP_RESPONSE_CHUNK = "http/responseChunk";

/** The head of a streamed response. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * Sends `response`'s head and body to the host as notices and resolves with its head once the
 * body has been read to the end. Rejects when the body fails (the host then ends the stream with
 * an error). A response without a body sends nothing and resolves with null.
 */
export async function streamResponse(
  response: Response,
  channel: SyscallChannel,
): Promise<ResponseHead | null> {
  const head: ResponseHead = {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers.entries()],
  };
  if (response.body === null) return null;
  channel.notify(HTTP_RESPONSE_HEAD, JSON.stringify(head));
  for await (const chunk of response.body as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("Received non-Uint8Array chunk");
    }
    channel.notify(HTTP_RESPONSE_CHUNK, Buffer.from(chunk).toString("base64"));
  }
  return head;
}
