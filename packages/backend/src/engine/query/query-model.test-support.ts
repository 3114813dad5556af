/**
 * Test support for the differential test: a seeded random generator of documents and queries,
 * and a naive model of what each query must return, written independently of the query layer
 * (sort every document by the index fields with `compareValues`, filter with plain JavaScript
 * predicates, slice for limits).
 */
import { compareValues } from "../../values/compare.js";
import { convexToJson } from "../../values/json.js";
import type {
  Document,
  JsonValue,
  ObjectValue,
  Value,
} from "../../values/value.js";

/** A small deterministic PRNG (mulberry32): the same seed gives the same data and queries. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  float(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in `[min, max]`. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

const bytes = (...b: number[]) => new Uint8Array(b).buffer;

/** Values chosen to collide often and to cover every type and the awkward floats. */
export const VALUE_POOL: readonly (Value | undefined)[] = [
  undefined,
  null,
  -(2n ** 63n),
  -1n,
  0n,
  1n,
  2n,
  7n,
  -Infinity,
  -1.5,
  -0,
  0,
  1,
  2.5,
  Infinity,
  NaN,
  false,
  true,
  "",
  "a",
  "ab",
  "b",
  "é",
  "z\u0000",
  bytes(),
  bytes(1),
  bytes(1, 2),
  [],
  [1n],
  ["a", 2],
  {},
  { x: 1n },
  { x: "a", y: null },
];

const SMALL_POOL: readonly (Value | undefined)[] = [
  undefined,
  null,
  0n,
  1n,
  2n,
  "x",
  "y",
  1,
];

/** The user indexes of the `items` table: name → user fields. */
/** The indexes every table has. */
const STANDARD_INDEXES = ["by_id", "by_creation_time"];

export const ITEM_INDEXES: Readonly<Record<string, readonly string[]>> = {
  by_a: ["a"],
  by_a_b: ["a", "b"],
  by_b_a: ["b", "a"],
  by_c_d: ["c.d"],
};

/** Fields filters look at (including ones no document has). */
const FILTER_FIELDS = ["a", "b", "c", "c.d", "n", "missing"];

/** A random `items` document body; `n` is a unique int64, the rest collide. */
export function randomItem(random: SeededRandom, n: number): ObjectValue {
  const item: ObjectValue = { n: BigInt(n) };
  const a = random.pick(VALUE_POOL);
  if (a !== undefined) item["a"] = a;
  const b = random.pick(SMALL_POOL);
  if (b !== undefined) item["b"] = b;
  const c = random.int(0, 3);
  if (c === 1) item["c"] = 5n;
  if (c >= 2) {
    const d = random.pick(VALUE_POOL);
    item["c"] = d === undefined ? {} : { d };
  }
  return item;
}

/** The value at a dotted path; missing (or a non-object on the way) is undefined. */
export function valueAt(
  document: ObjectValue,
  path: string,
): Value | undefined {
  let current: Value | undefined = document;
  for (const field of path.split(".")) {
    if (
      typeof current !== "object" ||
      current === null ||
      Array.isArray(current) ||
      current instanceof ArrayBuffer ||
      !Object.hasOwn(current, field)
    ) {
      return undefined;
    }
    current = (current as ObjectValue)[field];
  }
  return current;
}

export function literal(value: Value | undefined): JsonValue {
  return {
    $literal: value === undefined ? { $undefined: null } : convexToJson(value),
  };
}

/** A query as JSON plus what the model says it returns over a set of documents. */
export interface QueryCase {
  readonly json: JsonValue;
  readonly hasLimit: boolean;
  /** The expected result, in order. */
  expected(documents: readonly Document[]): Document[];
}

type Step = (documents: Document[]) => Document[];

/** A random valid query over `items` whose range values are drawn from `documents` and the pool. */
export function randomQuery(
  random: SeededRandom,
  documents: readonly Document[],
): QueryCase {
  const source = random.chance(0.25)
    ? randomTableScan(random)
    : randomIndexRange(random, documents);
  const operators: JsonValue[] = [];
  const steps: Step[] = [];
  let hasLimit = false;
  for (let i = random.int(0, 3); i > 0; i--) {
    if (random.chance(0.6)) {
      const filter = randomFilter(random, 2);
      operators.push({ filter: filter.json });
      steps.push((docs) => docs.filter(filter.test));
    } else {
      const limit = random.int(0, 15);
      hasLimit = true;
      operators.push({ limit });
      steps.push((docs) => docs.slice(0, limit));
    }
  }
  return {
    json: { source: source.json, operators },
    hasLimit,
    expected: (docs) =>
      steps.reduce((acc, step) => step(acc), source.run(docs)),
  };
}

interface SourceCase {
  readonly json: JsonValue;
  run(documents: readonly Document[]): Document[];
}

function randomTableScan(random: SeededRandom): SourceCase {
  const order = random.pick([null, "asc", "desc"] as const);
  return {
    json: { type: "FullTableScan", tableName: "items", order },
    run: (docs) => orderBy(docs, ["_creationTime", "_id"], order ?? "asc"),
  };
}

function randomIndexRange(
  random: SeededRandom,
  documents: readonly Document[],
): SourceCase {
  const indexName = random.pick([
    ...Object.keys(ITEM_INDEXES),
    ...STANDARD_INDEXES,
  ]);
  const fields =
    indexName === "by_id"
      ? ["_id"]
      : [...(ITEM_INDEXES[indexName] ?? []), "_creationTime", "_id"];
  // Values mostly come from one anchor document, so that chains of Eq still match something.
  const anchor = documents.length > 0 ? random.pick(documents) : undefined;
  const someValue = (field: string) => {
    if (anchor !== undefined && random.chance(0.7))
      return valueAt(anchor, field);
    if (documents.length > 0 && random.chance(0.5)) {
      return valueAt(random.pick(documents), field);
    }
    return random.pick(VALUE_POOL);
  };
  // Usually Eq on some user fields; sometimes on the system fields too.
  const userFields = fields.length - 2;
  const eqCount = random.chance(0.85)
    ? random.int(0, Math.max(userFields, 0))
    : random.int(0, fields.length);
  const eqs = fields
    .slice(0, eqCount)
    .map((field) => ({ field, value: someValue(field) }));
  // With Eq on every field there is nothing left to bound.
  const boundField = fields[eqCount] ?? "_id";
  const canBound = eqCount < fields.length;
  const lower =
    canBound && random.chance(0.5)
      ? {
          type: random.pick(["Gt", "Gte"] as const),
          value: someValue(boundField),
        }
      : null;
  const upper =
    canBound && random.chance(0.5)
      ? {
          type: random.pick(["Lt", "Lte"] as const),
          value: someValue(boundField),
        }
      : null;
  const range = random.shuffle([
    ...eqs.map((e) => ({
      type: "Eq",
      fieldPath: e.field,
      value: literalValue(e.value),
    })),
    ...[lower, upper]
      .filter((b) => b !== null)
      .map((b) => ({
        type: b.type,
        fieldPath: boundField,
        value: literalValue(b.value),
      })),
  ]);
  const order = random.pick([null, "asc", "desc"] as const);
  const matches = (doc: Document) =>
    eqs.every((e) => compareValues(valueAt(doc, e.field), e.value) === 0) &&
    (lower === null ||
      satisfies(valueAt(doc, boundField), lower.type, lower.value)) &&
    (upper === null ||
      satisfies(valueAt(doc, boundField), upper.type, upper.value));
  return {
    json: { type: "IndexRange", indexName: `items.${indexName}`, range, order },
    run: (docs) => orderBy(docs.filter(matches), fields, order ?? "asc"),
  };
}

function literalValue(value: Value | undefined): JsonValue {
  return value === undefined ? { $undefined: null } : convexToJson(value);
}

function satisfies(
  value: Value | undefined,
  type: string,
  bound: Value | undefined,
): boolean {
  const c = compareValues(value, bound);
  switch (type) {
    case "Gt":
      return c > 0;
    case "Gte":
      return c >= 0;
    case "Lt":
      return c < 0;
    default:
      return c <= 0;
  }
}

function orderBy(
  docs: readonly Document[],
  fields: readonly string[],
  order: "asc" | "desc",
) {
  const sorted = [...docs].sort((x, y) => {
    for (const field of fields) {
      const c = compareValues(valueAt(x, field), valueAt(y, field));
      if (c !== 0) return c;
    }
    return 0;
  });
  return order === "asc" ? sorted : sorted.reverse();
}

interface FilterCase {
  readonly json: JsonValue;
  readonly test: (document: Document) => boolean;
}

const COMPARISONS: Record<string, (c: number) => boolean> = {
  $eq: (c) => c === 0,
  $neq: (c) => c !== 0,
  $lt: (c) => c < 0,
  $lte: (c) => c <= 0,
  $gt: (c) => c > 0,
  $gte: (c) => c >= 0,
};

/** A random boolean filter (comparisons, `n % k == 0`, and/or/not) with its JS predicate. */
function randomFilter(random: SeededRandom, depth: number): FilterCase {
  const kind = depth === 0 ? 0 : random.int(0, 4);
  if (kind <= 1) {
    const op = random.pick(Object.keys(COMPARISONS));
    const field = random.pick(FILTER_FIELDS);
    const value = random.pick(VALUE_POOL);
    const holds = COMPARISONS[op] as (c: number) => boolean;
    const fieldFirst = random.chance(0.5);
    const operands = [{ $field: field }, literal(value)];
    return {
      json: { [op]: fieldFirst ? operands : operands.reverse() },
      test: (doc) => {
        const c = compareValues(valueAt(doc, field), value);
        return holds(fieldFirst ? c : -c);
      },
    };
  }
  if (kind === 2) {
    const k = BigInt(random.int(1, 4));
    return {
      json: { $eq: [{ $mod: [{ $field: "n" }, literal(k)] }, literal(0n)] },
      test: (doc) => (doc["n"] as bigint) % k === 0n,
    };
  }
  if (kind === 3) {
    const inner = randomFilter(random, depth - 1);
    return { json: { $not: inner.json }, test: (doc) => !inner.test(doc) };
  }
  const children = Array.from({ length: random.int(0, 3) }, () =>
    randomFilter(random, depth - 1),
  );
  const isAnd = random.chance(0.5);
  return {
    json: { [isAnd ? "$and" : "$or"]: children.map((c) => c.json) },
    test: (doc) =>
      isAnd
        ? children.every((c) => c.test(doc))
        : children.some((c) => c.test(doc)),
  };
}
