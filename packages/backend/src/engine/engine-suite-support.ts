/**
 * Helpers shared by the engine suites (`engine.<topic>.suite.ts`): a per-test fixture factory
 * that disposes what it creates, and small readers over the `IndexReader` surface.
 */
import { afterEach } from "vitest";
import type { KeyInterval, Order } from "../storage/persistence.js";
import type { Document, ObjectValue } from "../values/value.js";
import type { Transaction } from "./transaction.js";
import type {
  EngineFixture,
  TestDatabaseOptions,
} from "./testing/test-database.js";

export interface EngineSuiteContext {
  readonly kind: string;
  /** A fresh database; disposed after the test. */
  create(options?: TestDatabaseOptions): Promise<EngineFixture>;
}

/** Makes a fresh fixture for one test. */
export type EngineFixtureFactory = (
  options?: TestDatabaseOptions,
) => Promise<EngineFixture>;

/** Builds the context of a suite run; registers the cleanup hook (call inside `describe`). */
export function createEngineSuiteContext(
  kind: string,
  factory: EngineFixtureFactory,
): EngineSuiteContext {
  const open: EngineFixture[] = [];
  afterEach(async () => {
    for (const fixture of open.splice(0)) await fixture[Symbol.asyncDispose]();
  });
  return {
    kind,
    async create(options) {
      const fixture = await factory(options);
      open.push(fixture);
      return fixture;
    },
  };
}

export const FULL: KeyInterval = { start: new Uint8Array(0), end: null };

/** Every document of `table.index` in `interval`, through the transaction's `IndexReader`. */
export async function scanAll(
  tx: Transaction,
  table: string,
  index: string,
  interval: KeyInterval = FULL,
  order: Order = "asc",
): Promise<Document[]> {
  const resolved = tx.resolveIndex(table, index);
  if (resolved === null) throw new Error(`no index ${table}.${index}`);
  const docs: Document[] = [];
  const scan = tx.scan(resolved, interval, order);
  for (;;) {
    const next = await scan.next();
    if (next.done === true) return docs;
    docs.push(next.value.document);
  }
}

/** Inserts `docs` into `table` in one transaction; returns their ids. */
export async function insertAll(
  tx: Transaction,
  table: string,
  docs: readonly ObjectValue[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const doc of docs) ids.push(await tx.insert(table, doc));
  return ids;
}
