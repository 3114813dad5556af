/**
 * Convex values in their JavaScript form, the same representation the official `convex/values`
 * package uses: int64 is `bigint`, float64 is `number`, bytes are `ArrayBuffer`.
 */
export type Value =
  | null
  | bigint
  | number
  | boolean
  | string
  | ArrayBuffer
  | Value[]
  | { [key: string]: Value | undefined };

/** An object value; `undefined` members are treated as missing fields. */
export type ObjectValue = { [key: string]: Value | undefined };

/** A stored document: an object with `_id` (string) and `_creationTime` (float64 ms). */
export type Document = ObjectValue & { _id: string; _creationTime: number };

/** JSON as produced by `JSON.parse`. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };
