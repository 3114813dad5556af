/**
 * The WebSocket transport of the sync protocol (`ws`): accepts upgrades on
 * `/api/<client-version>/sync` and `/api/sync`, feeds text frames to one `SyncSession` per
 * socket, and keeps sockets alive. Besides `http/node-server.ts`, the only module that imports
 * `ws`.
 *
 * Liveness: every `HEARTBEAT_INTERVAL_MS` each session may send a protocol `Ping` (when idle), and
 * each socket gets a WebSocket-level ping every `WS_PING_INTERVAL_MS`; browsers and Node `ws`
 * answer those automatically, and a pong counts as client activity, so only a dead peer reaches
 * the session's inactivity timeout.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { SyncServer } from "./sync-server.js";
import type { SyncSession } from "./sync-session.js";

/** How often sessions are checked for idleness (protocol Ping) and inactivity. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** How often each socket gets a WebSocket-level ping, well within the 120 s inactivity limit. */
export const WS_PING_INTERVAL_MS = 30_000;
/**
 * Largest client frame accepted. Mutation and action arguments may be up to 16 MiB as
 * convex-JSON; twice that leaves room for encoding overhead.
 */
export const MAX_CLIENT_FRAME_BYTES = 32 * 1024 * 1024;

/**
 * A peer that leaves this much unread in its socket buffer is stuck (or far too slow for live
 * results): the socket is dropped, and the client resynchronises when it reconnects.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** `/api/sync`, `/api/1.48.0/sync`; extra leading slashes (a trailing slash in the URL) allowed. */
const SYNC_PATH = /^\/+api\/(?:[^/]+\/)?sync\/?$/;

export interface SyncUpgradeOptions {
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The upgrade handler `http/node-server.ts` takes, plus shutdown. */
export interface SyncWebSocketHandler {
  /**
   * Takes over `socket` after an HTTP Upgrade request. Sync paths become sessions; any other
   * path is answered `404` and closed. Never throws.
   */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The number of open sockets. */
  readonly connectionCount: number;
  /**
   * Closes every socket with `code` and `reason`; clients reconnect (and resend their queries
   * and in-flight mutations) after the backoff the reason selects.
   */
  disconnectAll(code: number, reason: string): void;
  /**
   * Closes every socket with 1001 (going away: the client reconnects silently) and stops the
   * timers. Call before closing the HTTP server, which otherwise waits for upgraded sockets.
   */
  close(): Promise<void>;
}

/** True when `url` (path and query of a request) is a sync endpoint. */
export function isSyncPath(url: string): boolean {
  const path = url.split("?", 1)[0] ?? "";
  return SYNC_PATH.test(path);
}

/**
 * Creates the WebSocket side of `sync`, to be passed as `upgrade` to the node server.
 *
 * @example
 * const sync = new SyncServer(deps);
 * const ws = createSyncUpgradeHandler(sync, { logger, clock });
 * const server = new NodeHttpServer({ fetch, logger, port, maxBodyBytes, standardBodies: false, upgrade: ws.upgrade });
 * // shutdown: await ws.close(); sync.close(); await server.close();
 */
export function createSyncUpgradeHandler(
  sync: SyncServer,
  options: SyncUpgradeOptions,
): SyncWebSocketHandler {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
  });
  const sockets = new Map<
    WebSocket,
    { session: SyncSession; lastPingMs: number }
  >();
  const timer = setInterval(() => {
    const now = options.clock.now();
    sync.heartbeat(now);
    for (const [ws, state] of sockets) {
      if (now - state.lastPingMs < WS_PING_INTERVAL_MS) continue;
      state.lastPingMs = now;
      ws.ping();
    }
  }, HEARTBEAT_INTERVAL_MS);
  timer.unref();

  const accept = (ws: WebSocket, socket: Duplex): void => {
    const session = sync.createSession({
      send: (text) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          options.logger.warn("dropping a sync socket that does not read", {
            bufferedBytes: ws.bufferedAmount,
          });
          ws.terminate();
          return;
        }
        corkForTick(socket);
        ws.send(text);
      },
      close: (code, reason) => ws.close(code, reason),
    });
    sockets.set(ws, { session, lastPingMs: options.clock.now() });
    ws.on("message", (data, isBinary) => {
      const text = isBinary
        ? ""
        : Buffer.isBuffer(data)
          ? data.toString("utf8")
          : Buffer.concat(toBuffers(data)).toString("utf8");
      void session.handleFrame(text);
    });
    ws.on("pong", () => session.markAlive());
    ws.on("error", (error) =>
      options.logger.warn("sync socket error", { error: error.message }),
    );
    ws.on("close", () => {
      sockets.delete(ws);
      sync.endSession(session);
    });
  };

  return {
    upgrade(request, socket, head) {
      if (!isSyncPath(request.url ?? "")) {
        socket.end(
          "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
        return;
      }
      socket.on("error", () => socket.destroy());
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, socket));
    },
    get connectionCount() {
      return sockets.size;
    },
    disconnectAll(code, reason) {
      for (const ws of sockets.keys()) ws.close(code, reason);
    },
    async close() {
      clearInterval(timer);
      const closed = [...sockets.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once("close", () => resolve());
            ws.close(1001, "ServerShutdown");
            // A peer that never completes the closing handshake is cut after a grace period.
            setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
          }),
      );
      await Promise.all(closed);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** How long `close()` waits for a peer's close frame before dropping the connection. */
const CLOSE_GRACE_MS = 1_000;

/** Sockets corked during the current tick, uncorked together once it is done. */
const corked = new Set<Duplex>();

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Corks `socket` until the current tick's work is done: frames sent in one tick (a
 * MutationResponse and the Transition after it, say) leave in one write instead of one system
 * call each. One `nextTick` serves every socket corked in the tick (a fan-out corks thousands).
 */
function corkForTick(socket: Duplex): void {
  if (corked.has(socket)) return;
  if (corked.size === 0) process.nextTick(uncorkAll);
  corked.add(socket);
  socket.cork();
}

function toBuffers(data: Buffer | ArrayBuffer | Buffer[]): Buffer[] {
  if (Array.isArray(data)) return data;
  return [Buffer.from(data as ArrayBuffer)];
}
