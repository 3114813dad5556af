/**
 * Commits appended to a shared log by other processes (`SharedLog`, PostgreSQL), turned into the
 * `CommittedWrite`s this process's write log (OCC), catalog and `onCommit` listeners expect.
 */
import type { LogTail, Timestamp } from "../storage/persistence.js";
import type { Catalog } from "./catalog.js";
import { INDEX_TABLE_NUMBER, TABLES_TABLE_NUMBER } from "./catalog.js";
import type { DocumentCache } from "./document-codec.js";
import { indexKeyWrite, type IndexKeyWrite } from "./read-set.js";
import type { CommittedDocument, CommittedWrite } from "./write-log.js";

/**
 * Groups `tail` (rows in ts order) into one commit per ts. Table names come from `catalog`, the
 * catalog before the tail, updated with the tail's own metadata writes as they come (so a table
 * created by a foreign commit is named in that commit).
 */
export function tailToCommits(
  tail: LogTail,
  catalog: Catalog,
  cache: DocumentCache,
): CommittedWrite[] {
  const commits: CommittedWrite[] = [];
  let current = catalog;
  let d = 0;
  let i = 0;
  const { documents, indexes } = tail;
  while (d < documents.length || i < indexes.length) {
    const ts = nextTs(documents[d]?.ts, indexes[i]?.ts);
    const committed: CommittedDocument[] = [];
    for (; d < documents.length && documents[d]!.ts === ts; d++) {
      const entry = documents[d]!;
      const tableNumber = Number(entry.tableId);
      const document = cache.parse(entry)?.document ?? null;
      if (
        tableNumber === TABLES_TABLE_NUMBER ||
        tableNumber === INDEX_TABLE_NUMBER
      ) {
        current = current.apply(tableNumber, entry.id, document);
      }
      committed.push({
        tableName: tableName(current, tableNumber),
        tableNumber,
        id: entry.id,
        document,
      });
    }
    const indexWrites = new Map<string, IndexKeyWrite[]>();
    for (; i < indexes.length && indexes[i]!.ts === ts; i++) {
      const entry = indexes[i]!;
      let list = indexWrites.get(entry.indexId);
      if (list === undefined) {
        list = [];
        indexWrites.set(entry.indexId, list);
      }
      list.push(
        indexKeyWrite(
          entry.key,
          tableName(current, Number(entry.tableId)),
          entry.docId,
        ),
      );
    }
    commits.push({ ts, indexWrites, documents: committed });
  }
  return commits;
}

function nextTs(
  documentTs: Timestamp | undefined,
  indexTs: Timestamp | undefined,
): Timestamp {
  if (documentTs === undefined) return indexTs!;
  if (indexTs === undefined) return documentTs;
  return documentTs < indexTs ? documentTs : indexTs;
}

function tableName(catalog: Catalog, tableNumber: number): string {
  return catalog.tableByNumber(tableNumber)?.name ?? `#${tableNumber}`;
}
