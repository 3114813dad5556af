/**
 * The host's end of a streamed HTTP action response (`sandbox/response-stream.ts`): a channel
 * wrapper that takes the response notices out of the invocation's traffic and turns them into a
 * `ReadableStream` the HTTP layer can send while the action is still producing it.
 */
import type { SyscallChannel, SyscallReply } from "./sandbox/invocation.js";
import {
  HTTP_RESPONSE_CHUNK,
  HTTP_RESPONSE_HEAD,
  type ResponseHead,
} from "./sandbox/response-stream.js";

export class ResponseRelay {
  /** Resolves with the head when the action starts streaming its body. */
  readonly head: Promise<ResponseHead>;
  readonly body: ReadableStream<Uint8Array>;
  #resolveHead!: (head: ResponseHead) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #started = false;
  #done = false;

  constructor() {
    this.head = new Promise((resolve) => (this.#resolveHead = resolve));
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#done = true;
      },
    });
  }

  /** Whether the head has arrived (the response is then already being sent). */
  get started(): boolean {
    return this.#started;
  }

  /** `inner` with the response notices routed to this relay. */
  wrap(inner: SyscallChannel): SyscallChannel {
    return {
      asyncSyscall: (op: string, argsJson: string): Promise<SyscallReply> =>
        inner.asyncSyscall(op, argsJson),
      syncSyscall: (op: string, argsJson: string): string =>
        inner.syncSyscall(op, argsJson),
      notify: (op: string, argsJson: string): void => {
        if (op === HTTP_RESPONSE_HEAD) this.#onHead(argsJson);
        else if (op === HTTP_RESPONSE_CHUNK) this.#onChunk(argsJson);
        else inner.notify(op, argsJson);
      },
    };
  }

  /** The action finished: ends the body, with `error` when it failed after starting. */
  finish(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    if (error === null) this.#controller.close();
    else this.#controller.error(error);
  }

  #onHead(json: string): void {
    this.#started = true;
    this.#resolveHead(JSON.parse(json) as ResponseHead);
  }

  #onChunk(base64: string): void {
    if (this.#done) return;
    this.#controller.enqueue(new Uint8Array(Buffer.from(base64, "base64")));
  }
}
