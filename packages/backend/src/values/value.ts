/**
 * Convex values in their JavaScript form, the same representation the official `convex/values`
 * package uses: int64 is `bigint`, float64 is `number`, bytes are `ArrayBuffer`, and the commit
 * timestamp a mutation writes through `db.vars.commitTs` is the `CommitTsPlaceholder` singleton
 * until the commit resolves it to an int64.
 */
export type Value =
  | null
  | bigint
  | number
  | boolean
  | string
  | ArrayBuffer
  | CommitTsPlaceholder
  | Value[]
  | { [key: string]: Value | undefined };

/** An object value; `undefined` members are treated as missing fields. */
export type ObjectValue = { [key: string]: Value | undefined };

/** A stored document: an object with `_id` (string) and `_creationTime` (float64 ms). */
export type Document = ObjectValue & { _id: string; _creationTime: number };

/** JSON as produced by `JSON.parse`. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The commit timestamp of the writing transaction before it is known: convex-JSON
 * `{"$commitTs": null}`. It sorts as the largest int64 (Convex resolves an unresolved commit
 * timestamp to `i64::MAX` in comparisons) and counts 9 bytes, like an int64. There is exactly one
 * instance, {@link COMMIT_TS_PLACEHOLDER}; recognise it with `instanceof` or identity.
 */
export class CommitTsPlaceholder {
  // A type-only private member makes the class nominal, so no plain object type-checks as one.
  declare private readonly __commitTsPlaceholder: undefined;

  /** The text used when the placeholder appears in messages. */
  toString(): string {
    return "[unresolved commit timestamp]";
  }
}

/** The one commit-timestamp placeholder value (frozen). */
export const COMMIT_TS_PLACEHOLDER = new CommitTsPlaceholder();
Object.freeze(COMMIT_TS_PLACEHOLDER);
