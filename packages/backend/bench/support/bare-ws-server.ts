/**
 * Baselines for the WebSocket benchmarks, run in their own process like Hull:
 * `bare-ws-server.ts <port> <mode>` with mode
 * - `broadcast`: a frame `go:<n>` from any client makes the server send an `n`-character payload
 *   to every other client;
 * - `echo`: every frame is sent back;
 * - `idle`: connections are accepted and kept, nothing else.
 * Prints `ready` once listening.
 */
import { WebSocketServer, type WebSocket } from "ws";

const port = Number(process.argv[2]);
const mode = process.argv[3];
const server = new WebSocketServer({
  host: "127.0.0.1",
  port,
  perMessageDeflate: false,
});
const sockets = new Set<WebSocket>();

server.on("connection", (ws) => {
  sockets.add(ws);
  ws.on("close", () => sockets.delete(ws));
  ws.on("message", (data: Buffer) => {
    if (mode === "echo") {
      ws.send(data.toString("utf8"));
      return;
    }
    const text = data.toString("utf8");
    if (mode === "broadcast" && text.startsWith("go:")) {
      const payload = "x".repeat(Number(text.slice(3)));
      for (const other of sockets) if (other !== ws) other.send(payload);
    }
  });
});
server.on("listening", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
