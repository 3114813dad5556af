/**
 * HTTP load for benchmarks: many concurrent keep-alive connections posting JSON in closed loops,
 * and sequential requests for latency percentiles.
 */
import http from "node:http";

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
 */
export async function measureThroughput(
  target: LoadTarget,
  connections: number,
  durationMs: number,
): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const deadline = performance.now() + durationMs;
  let completed = 0;
  let next = 0;
  const start = performance.now();
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await post(agent, target, target.body(next++));
      completed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
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
          const text = Buffer.concat(chunks).toString("utf8");
          const status = (JSON.parse(text) as { status?: unknown }).status;
          if (res.statusCode !== 200 || status !== "success") {
            reject(
              new Error(
                `POST ${target.path} answered ${res.statusCode}: ${text}`,
              ),
            );
          } else {
            resolve();
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
