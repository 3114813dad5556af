/**
 * HTTP load for benchmarks: many concurrent keep-alive connections posting JSON in closed loops,
 * and sequential requests for latency percentiles.
 */
import http from "node:http";
import net from "node:net";

/** One request: where to POST what. */
export interface LoadTarget {
  readonly port: number;
  readonly path: string;
  /** The JSON body of the `i`-th request. */
  body(i: number): unknown;
}

/**
 * Runs `connections` closed loops (each sends its next request when the previous answered) for
 * `durationMs` over keep-alive sockets; returns completed requests per second. Throws on the
 * first non-200 answer or an answer whose `status` is not `"success"`.
 *
 * The loops speak HTTP/1.1 on plain sockets (see {@link RawConnection}) rather than through
 * `node:http`: the load shares the machine with the server it measures, and `http.request` costs
 * about 150 µs of CPU per request, as much as a third of what it measures.
 */
export async function measureThroughput(
  target: LoadTarget,
  connections: number,
  durationMs: number,
): Promise<number> {
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => RawConnection.open(target.port)),
  );
  const deadline = performance.now() + durationMs;
  let completed = 0;
  let next = 0;
  const start = performance.now();
  const loop = async (connection: RawConnection): Promise<void> => {
    while (performance.now() < deadline) {
      const { statusCode, text } = await connection.post(
        target.path,
        JSON.stringify(target.body(next++)),
      );
      const error = answerError(target.path, statusCode, text);
      if (error !== undefined) throw error;
      completed++;
    }
  };
  try {
    await Promise.all(sockets.map(loop));
  } finally {
    for (const connection of sockets) connection.close();
  }
  return (completed * 1000) / (performance.now() - start);
}

/** Sends `count` requests one after another; returns the p50 and p99 latency in ms. */
export async function measureLatency(
  target: LoadTarget,
  count: number,
): Promise<{ p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await post(agent, target, target.body(i));
      samples.push(performance.now() - start);
    }
  } finally {
    agent.destroy();
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ??
    NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

function post(
  agent: http.Agent,
  target: LoadTarget,
  body: unknown,
): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        path: target.path,
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const error = answerError(
            target.path,
            res.statusCode ?? 0,
            Buffer.concat(chunks).toString("utf8"),
          );
          if (error === undefined) resolve();
          else reject(error);
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Why an answer is not a success, if it is not. */
function answerError(
  path: string,
  statusCode: number,
  text: string,
): Error | undefined {
  const status = (JSON.parse(text) as { status?: unknown }).status;
  return statusCode === 200 && status === "success"
    ? undefined
    : new Error(`POST ${path} answered ${statusCode}: ${text}`);
}

/**
 * One keep-alive HTTP/1.1 connection with one request at a time: writes each request in one
 * `write`, and reads answers framed by `Content-Length` (what Hull and the bare servers send).
 */
class RawConnection {
  readonly #socket: net.Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #waiting: {
    resolve: (answer: { statusCode: number; text: string }) => void;
    reject: (error: Error) => void;
  } | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (error) => this.#fail(error));
    socket.on("close", () =>
      this.#fail(new Error("the server closed the connection")),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  post(
    path: string,
    body: string,
  ): Promise<{ statusCode: number; text: string }> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  close(): void {
    this.#waiting = null;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffered =
      this.#buffered.length === 0
        ? chunk
        : Buffer.concat([this.#buffered, chunk]);
    const headEnd = this.#buffered.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = this.#buffered.toString("latin1", 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) {
      this.#fail(new Error(`an answer without Content-Length: ${head}`));
      return;
    }
    const end = headEnd + 4 + Number(length);
    if (this.#buffered.length < end) return;
    const text = this.#buffered.toString("utf8", headEnd + 4, end);
    this.#buffered = this.#buffered.subarray(end);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.resolve({ statusCode: Number(head.slice(9, 12)), text });
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(error);
  }
}
