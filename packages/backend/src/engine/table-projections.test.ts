import { expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import type {
  IndexScanEntry,
  PersistenceReader,
  Timestamp,
} from "../storage/persistence.js";
import type { Document } from "../values/value.js";
import { encodeDocument } from "./document-codec.js";
import type { ProjectionSpec } from "./query/index-reader.js";
import { TableProjections } from "./table-projections.js";
import type { CommittedWrite } from "./write-log.js";

const TABLE = 10;

function doc(id: string, body: string): Document {
  return { _id: id, _creationTime: 1, body };
}

/** A reader whose by_id scan yields `documents` once `release` is called. */
function scanReader(documents: Document[]) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const scans: string[] = [];
  const reader = {
    async *indexScan(indexId: string): AsyncGenerator<IndexScanEntry> {
      scans.push(indexId);
      await released;
      for (const d of documents) {
        yield {
          key: new Uint8Array(0),
          ts: 1n,
          document: {
            ts: 1n,
            tableId: String(TABLE),
            id: d._id,
            value: encodeDocument(d),
            prevTs: null,
          },
        };
      }
    },
  } as unknown as PersistenceReader;
  return { reader, release, scans };
}

function commit(
  ts: Timestamp,
  changes: [string, string | null][],
  tableNumber = TABLE,
): CommittedWrite {
  return {
    ts,
    indexWrites: new Map(),
    documents: changes.map(([id, body]) => ({
      tableName: "t",
      tableNumber,
      id,
      document: body === null ? null : doc(id, body),
    })),
  };
}

/** Projects the body of documents whose body is not "skip". */
const bodies: ProjectionSpec<string> = {
  key: "bodies",
  derive: (d) => {
    const body = d["body"];
    return typeof body !== "string" || body === "skip"
      ? null
      : `${d._id}=${body}`;
  },
};

test("views at older snapshots undo later commits; commits during the build are applied after it", async () => {
  const { reader, release, scans } = scanReader([
    doc("a", "one"),
    doc("b", "two"),
  ]);
  let latest = 10n;
  const projections = new TableProjections({
    reader,
    latestTs: () => latest,
    nowMs: () => 0,
    logger: silentLogger,
  });
  const building = projections.viewAt(TABLE, bodies, 10n);
  latest = 11n;
  projections.apply(commit(11n, [["a", "one!"]]));
  release();
  expect((await building)?.sort()).toEqual(["a=one", "b=two"]);
  projections.apply(commit(12n, [["b", null]]));
  projections.apply(commit(13n, [["c", "three"]]));
  projections.apply(commit(14n, [["a", "skip"]]));
  projections.apply(commit(15n, [["z", "other table"]], TABLE + 1));
  latest = 15n;
  const at = async (ts: Timestamp) =>
    (await projections.viewAt(TABLE, bodies, ts))?.sort();
  expect(await at(11n)).toEqual(["a=one!", "b=two"]);
  expect(await at(12n)).toEqual(["a=one!"]);
  expect(await at(13n)).toEqual(["a=one!", "c=three"]);
  expect(await at(15n)).toEqual(["c=three"]);
  expect(await projections.viewAt(TABLE, bodies, 9n)).toBeNull();
  expect(scans).toEqual([`${TABLE}/by_id`]);
});

test("history older than a minute is dropped: older snapshots get null", async () => {
  const { reader, release } = scanReader([]);
  release();
  const projections = new TableProjections({
    reader,
    latestTs: () => 1n,
    nowMs: () => 0,
    logger: silentLogger,
  });
  expect(await projections.viewAt(TABLE, bodies, 1n)).toEqual([]);
  const minute = 60_000n * 1_000_000n;
  projections.apply(commit(2n, [["a", "x"]]));
  projections.apply(commit(2n + minute + 1n, [["b", "y"]]));
  expect(await projections.viewAt(TABLE, bodies, 1n)).toBeNull();
  expect(await projections.viewAt(TABLE, bodies, 2n)).toEqual(["a=x"]);
});
