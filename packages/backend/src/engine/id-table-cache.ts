/**
 * A bounded memo of `decodeId(id).tableNumber`: reads decode the same ids again and again, and
 * decoding (base32, checksum, canonical re-encoding) dominates a cached point read. `decodeId` is
 * strict, so a decodable id is already canonical and only its table number needs remembering.
 */
import { decodeId } from "../values/id.js";

/** Enough for a hot working set; entries are a string and a number. */
const MAX_ENTRIES = 16_384;

const tableNumbers = new Map<string, number>();

/** The table number encoded in `id`, or null when `id` is not a valid id. */
export function tableNumberOfId(id: string): number | null {
  const cached = tableNumbers.get(id);
  if (cached !== undefined) return cached;
  const decoded = decodeId(id);
  if (decoded === null) return null;
  if (tableNumbers.size >= MAX_ENTRIES) tableNumbers.clear();
  tableNumbers.set(id, decoded.tableNumber);
  return decoded.tableNumber;
}
