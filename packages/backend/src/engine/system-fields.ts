/**
 * `_id` and `_creationTime`: how they are assigned on insert and checked on patch and replace.
 */
import type { Timestamp } from "../storage/persistence.js";
import type { Document, ObjectValue, Value } from "../values/value.js";
import {
  systemFieldMismatchError,
  systemFieldOnInsertError,
} from "./engine-errors.js";

const NS_PER_MS = 1_000_000n;

/** The smallest float64 greater than `x` (`f64::next_up`), for positive finite `x`. */
export function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/**
 * Assigns creation times within one transaction as Convex does: the first insert gets
 * `max(readTs + 1ns, now)` in milliseconds, every further one the next float64 up, so they are
 * unique and strictly increasing.
 */
export class CreationTimeAllocator {
  readonly #readTs: Timestamp;
  #last: number | null = null;

  constructor(readTs: Timestamp) {
    this.#readTs = readTs;
  }

  /** The largest creation time handed out, or null. */
  get last(): number | null {
    return this.#last;
  }

  next(nowMs: number): number {
    if (this.#last === null) {
      const nowNs = BigInt(Math.floor(nowMs)) * NS_PER_MS;
      const floorNs = this.#readTs + 1n;
      const ns = nowNs > floorNs ? nowNs : floorNs;
      this.#last = Number(ns) / 1e6;
    } else {
      this.#last = nextUp(this.#last);
    }
    return this.#last;
  }
}

/** Refuses `_id`/`_creationTime` in an insert value. */
export function assertNoSystemFields(value: ObjectValue): void {
  for (const field of ["_id", "_creationTime"]) {
    if (value[field] !== undefined) throw systemFieldOnInsertError(field);
  }
}

function display(value: Value | undefined): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean"
  ) {
    return String(value);
  }
  return value === null ? "null" : "a non-scalar value";
}

/** Checks that `_id`/`_creationTime` in a patch or replace value equal the document's. */
export function assertSystemFieldsMatch(
  value: ObjectValue,
  existing: Document,
): void {
  if (value._id !== undefined && value._id !== existing._id) {
    throw systemFieldMismatchError(
      "_id",
      display(value._id),
      display(existing._id),
    );
  }
  if (
    value._creationTime !== undefined &&
    value._creationTime !== existing._creationTime
  ) {
    throw systemFieldMismatchError(
      "_creationTime",
      display(value._creationTime),
      display(existing._creationTime),
    );
  }
}

/** `existing` shallow-merged with `patch`; an `undefined` member removes the field. */
export function applyPatch(existing: Document, patch: ObjectValue): Document {
  const result: ObjectValue = { ...existing };
  for (const [field, value] of Object.entries(patch)) {
    if (field === "_id" || field === "_creationTime") continue;
    if (value === undefined) delete result[field];
    else result[field] = value;
  }
  return result as Document;
}

/** The replacement document: `value` with the existing system fields. */
export function applyReplace(existing: Document, value: ObjectValue): Document {
  const result: ObjectValue = {};
  for (const [field, v] of Object.entries(value)) {
    if (field === "_id" || field === "_creationTime" || v === undefined)
      continue;
    result[field] = v;
  }
  return {
    ...result,
    _id: existing._id,
    _creationTime: existing._creationTime,
  };
}

/** The document's user fields (without `_id`/`_creationTime`), as schema validation sees it. */
export function userFields(doc: Document): ObjectValue {
  const rest: ObjectValue = { ...doc };
  delete rest._id;
  delete rest._creationTime;
  return rest;
}

/**
 * Float64 rounding when a ns timestamp becomes ms loses up to a few hundred ns; a commit ts this
 * far above every creation time it assigns keeps later snapshots' creation times strictly above.
 */
const CREATION_TIME_MARGIN_NS = 1024n;

/** The smallest commit ts for a commit that assigned creation times up to `maxCreationMs`. */
export function minCommitTsFor(maxCreationMs: number | null): Timestamp {
  if (maxCreationMs === null) return 0n;
  return BigInt(Math.ceil(maxCreationMs * 1e6)) + CREATION_TIME_MARGIN_NS;
}
