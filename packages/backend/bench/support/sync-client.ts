/**
 * A minimal client of the sync protocol over `ws`, for benchmarks that need more sockets than
 * `ConvexClient` instances can cheaply provide: it connects, subscribes, runs mutations and
 * reports every Transition with the receive time.
 */
import { WebSocket } from "ws";

/** A query result delivered by a Transition. */
export interface QueryUpdate {
  readonly queryId: number;
  readonly value: unknown;
  /** `performance.now()` when the frame arrived. */
  readonly receivedAt: number;
  /** Length of the frame's text. */
  readonly frameChars: number;
}

export class SyncClient {
  readonly #ws: WebSocket;
  #querySetVersion = 0;
  #requestId = 0;
  /** Mutations answered but not yet followed by a Transition, and those still running. */
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #answered: (() => void)[] = [];
  /** Called for every QueryUpdated. */
  onUpdate: (update: QueryUpdate) => void = () => {};

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data: Buffer) => this.#receive(data.toString("utf8")));
  }

  /** Opens a socket to `${url}/api/1.48.0/sync` and sends Connect. */
  static async connect(url: string, sessionId: string): Promise<SyncClient> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/1.48.0/sync`, {
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const client = new SyncClient(ws);
    client.#send({
      type: "Connect",
      sessionId,
      connectionCount: 0,
      lastCloseReason: "InitialConnect",
      clientTs: Date.now(),
    });
    return client;
  }

  /** Subscribes `queryId` to `udfPath(args)`; the result arrives through `onUpdate`. */
  subscribe(
    queryId: number,
    udfPath: string,
    args: Record<string, unknown>,
  ): void {
    this.#send({
      type: "ModifyQuerySet",
      baseVersion: this.#querySetVersion,
      newVersion: ++this.#querySetVersion,
      modifications: [{ type: "Add", queryId, udfPath, args: [args] }],
    });
  }

  /**
   * Runs a mutation; resolves with its result once the MutationResponse and the Transition that
   * follows it have arrived (when the official client resolves it).
   */
  mutation(udfPath: string, args: Record<string, unknown>): Promise<unknown> {
    const requestId = this.#requestId++;
    const result = new Promise<unknown>((resolve) =>
      this.#pending.set(requestId, resolve),
    );
    this.#send({ type: "Mutation", requestId, udfPath, args: [args] });
    return result;
  }

  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once("close", () => resolve());
      this.#ws.close();
    });
  }

  #send(message: unknown): void {
    this.#ws.send(JSON.stringify(message));
  }

  #receive(text: string): void {
    const receivedAt = performance.now();
    const message = JSON.parse(text) as {
      type: string;
      requestId?: number;
      success?: boolean;
      result?: unknown;
      modifications?: { type: string; queryId: number; value?: unknown }[];
    };
    if (message.type === "MutationResponse") {
      if (message.success !== true)
        throw new Error(`mutation failed: ${String(message.result)}`);
      const resolve = this.#pending.get(message.requestId!);
      this.#pending.delete(message.requestId!);
      if (resolve !== undefined)
        this.#answered.push(() => resolve(message.result));
    } else if (message.type === "Transition") {
      for (const done of this.#answered.splice(0)) done();
      for (const m of message.modifications ?? []) {
        if (m.type === "QueryFailed") throw new Error(`query failed: ${text}`);
        if (m.type !== "QueryUpdated") continue;
        this.onUpdate({
          queryId: m.queryId,
          value: m.value,
          receivedAt,
          frameChars: text.length,
        });
      }
    } else if (message.type === "FatalError") {
      throw new Error(`sync error: ${text}`);
    }
  }
}

/** Opens `count` clients, `concurrency` at a time. */
export async function connectMany(
  url: string,
  count: number,
  prefix: string,
  concurrency = 100,
): Promise<SyncClient[]> {
  const clients: SyncClient[] = [];
  for (let i = 0; i < count; i += concurrency) {
    const batch = Array.from(
      { length: Math.min(concurrency, count - i) },
      (_, j) => SyncClient.connect(url, `${prefix}-${i + j}`),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** The `q`-quantile (0..1) of `samples`. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  );
}
