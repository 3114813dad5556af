/**
 * Coalesces messages between the host and a worker: every message sent during one turn of the
 * event loop travels in one `postMessage`. Each `postMessage` wakes the other thread, which costs
 * far more than cloning a few more small objects, so under load this cuts the per-invocation
 * overhead several times; when idle a message waits at most until the end of the current turn.
 */
export class MessageBatcher<T> {
  readonly #send: (batch: T[]) => void;
  readonly #schedule: (flush: () => void) => void;
  #outbox: T[] = [];
  #scheduled = false;

  /** `send` posts one batch; `schedule` runs its callback after the current turn (`setImmediate`). */
  constructor(
    send: (batch: T[]) => void,
    schedule: (flush: () => void) => void,
  ) {
    this.#send = send;
    this.#schedule = schedule;
  }

  push(message: T): void {
    this.#outbox.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.flush());
  }

  /** Sends everything queued now (before a blocking call, or on shutdown). */
  flush(): void {
    this.#scheduled = false;
    if (this.#outbox.length === 0) return;
    const batch = this.#outbox;
    this.#outbox = [];
    this.#send(batch);
  }
}
