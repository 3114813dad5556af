/**
 * Child process of `sqlite-crash.test.ts` (run with `node --import tsx`): opens the SQLite
 * persistence at argv[2] with durability argv[3] and commits forever, one commit per ts after the
 * stored maximum, printing each commit's ts on stdout once `write()` has resolved. The parent kills
 * it with SIGKILL mid-stream. Commit `ts` holds {@link ROWS_PER_COMMIT} documents, each with an
 * entry in two indexes, so a torn commit would show.
 */
import {
  SqlitePersistence,
  type SqliteSynchronous,
} from "./sqlite-persistence.js";

/** Documents per commit. */
export const ROWS_PER_COMMIT = 3;
/** Stops a child whose parent vanished without killing it. */
const MAX_RUNTIME_MS = 30_000;

/** The index key of document `row` of commit `ts` in index `indexId`. */
export function crashKey(
  indexId: "a" | "b",
  ts: bigint,
  row: number,
): Uint8Array {
  const key = Buffer.alloc(9);
  key.writeBigUInt64BE(indexId === "a" ? ts : (1n << 63n) - ts);
  key.writeUInt8(row, 8);
  return key;
}

async function main(
  path: string,
  synchronous: SqliteSynchronous,
): Promise<void> {
  const p = SqlitePersistence.open({ path, synchronous });
  const deadline = Date.now() + MAX_RUNTIME_MS;
  let ts = ((await p.reader().maxTs()) ?? 0n) + 1n;
  const padding = "x".repeat(300);
  while (Date.now() < deadline) {
    const ids = Array.from(
      { length: ROWS_PER_COMMIT },
      (_, row) => `c${ts}-${row}`,
    );
    await p.write(
      {
        documents: ids.map((id, row) => ({
          tableId: "crash",
          id,
          ts,
          prevTs: null,
          value: JSON.stringify({ ts: Number(ts), row, padding }),
        })),
        indexes: ids.flatMap((docId, row) =>
          (["a", "b"] as const).map((indexId) => ({
            indexId,
            key: crashKey(indexId, ts, row),
            ts,
            deleted: false,
            tableId: "crash",
            docId,
          })),
        ),
      },
      "Error",
    );
    process.stdout.write(`${ts}\n`);
    ts++;
  }
  await p.close();
}

const [path, synchronous] = process.argv.slice(2);
if (
  path !== undefined &&
  (synchronous === "full" || synchronous === "normal")
) {
  await main(path, synchronous);
}
