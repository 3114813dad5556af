/**
 * The filter fields of search and vector indexes: where a `q.eq` field stands among them, with
 * one wording for the error when it is not one of them.
 */
import type { BackendError } from "../../errors/backend-error.js";

/**
 * The position of `field` in `filterFields`.
 *
 * @throws what `fail` makes of the message, when `field` is not a filter field of `indexName`
 *   (`"search index t.i"`, `"vector index t.i"`).
 */
export function filterFieldPosition(
  filterFields: readonly string[],
  field: string,
  indexName: string,
  fail: (message: string) => BackendError,
): number {
  const position = filterFields.indexOf(field);
  if (position < 0) {
    throw fail(
      `Filter on "${field}" is not in the filterFields of ${indexName}` +
        ` (${filterFields.map((f) => `"${f}"`).join(", ") || "none"}).`,
    );
  }
  return position;
}
