/**
 * The `http-mutation` baseline: a bare Node `http` server that does the same work as a
 * single-document insert mutation with none of Hull's machinery: parse the JSON body, insert one
 * row into SQLite (WAL, synchronous=FULL), answer JSON. By default each row is its own
 * transaction and fsync; with `group`, the rows of every request that arrived in one event-loop
 * turn share one transaction and fsync (the simplest group commit: requests pile up in the
 * socket buffers while the fsync blocks the loop).
 * Run as `node --import tsx bare-insert-server.ts <port> <sqlite file> [group]`; prints `ready`
 * when listening and exits on SIGTERM.
 */
import Sqlite from "better-sqlite3";
import http from "node:http";

const [portText, file, mode] = process.argv.slice(2);
const db = new Sqlite(file ?? ":memory:");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(
  "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
);
const insert = db.prepare("INSERT INTO messages (json) VALUES (?)");
const insertAll = db.transaction((rows: readonly string[]) =>
  rows.map((row) => insert.run(row).lastInsertRowid),
);

interface PendingInsert {
  readonly json: string;
  readonly res: http.ServerResponse;
}
let pending: PendingInsert[] = [];

function respond(res: http.ServerResponse, id: number | bigint): void {
  res.setHeader("Content-Type", "application/json");
  res.end(
    JSON.stringify({ status: "success", value: String(id), logLines: [] }),
  );
}

function flush(): void {
  const batch = pending;
  pending = [];
  const ids = insertAll(batch.map((p) => p.json));
  batch.forEach((p, i) => respond(p.res, ids[i]!));
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      args: unknown[];
    };
    const json = JSON.stringify(body.args[0]);
    if (mode !== "group") {
      respond(res, insert.run(json).lastInsertRowid);
      return;
    }
    if (pending.length === 0) setImmediate(flush);
    pending.push({ json, res });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), "127.0.0.1", () =>
  process.stdout.write("ready\n"),
);
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  db.close();
  process.exit(0);
});
