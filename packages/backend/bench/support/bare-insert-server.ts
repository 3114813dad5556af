/**
 * The `http-mutation` baseline: a bare Node `http` server that does the same work as a
 * single-document insert mutation with none of Hull's machinery: parse the JSON body, insert one
 * row into SQLite (WAL, synchronous=FULL, one transaction and fsync per row), answer JSON.
 * Run as `node --import tsx bare-insert-server.ts <port> <sqlite file>`; prints `ready` when
 * listening and exits on SIGTERM.
 */
import Sqlite from "better-sqlite3";
import http from "node:http";

const [portText, file] = process.argv.slice(2);
const db = new Sqlite(file ?? ":memory:");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(
  "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
);
const insert = db.prepare("INSERT INTO messages (json) VALUES (?)");

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      args: unknown[];
    };
    const { lastInsertRowid } = insert.run(JSON.stringify(body.args[0]));
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        status: "success",
        value: String(lastInsertRowid),
        logLines: [],
      }),
    );
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
