/**
 * The host side of `1.0/actions/vectorSearch`: a read of the latest snapshot (after absorbing
 * other processes' commits), answered as `{results: [{_id, _score}]}` in plain JSON.
 */
import type { Database } from "../engine/database.js";
import {
  parseVectorSearchQuery,
  runVectorSearch,
} from "../engine/query/vector-search.js";

/**
 * Answers one vector search.
 *
 * @throws BackendError BadRequest for a malformed query, an unknown index or a vector of the
 *   wrong length (user code sees the message).
 */
export async function vectorSearchSyscall(
  database: Database,
  query: unknown,
): Promise<string> {
  const parsed = parseVectorSearchQuery(query);
  await database.follow();
  const tx = database.begin();
  try {
    const results = await runVectorSearch(tx, parsed);
    return JSON.stringify({ results });
  } finally {
    tx.close();
  }
}
