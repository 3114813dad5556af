/**
 * The engine's behaviour suite, run over every persistence (STYLE.md §5.5): call
 * `runEngineSuite(kind)` from a test file per persistence. Topics live in
 * `engine.<topic>.suite.ts`.
 */
import { describe } from "vitest";
import { describeDurabilitySuite } from "./engine.durability.suite.js";
import { describeOccSuite } from "./engine.occ.suite.js";
import { describeSchemaSuite } from "./engine.schema.suite.js";
import { describeSerializabilitySuite } from "./engine.serializability.suite.js";
import {
  createEngineSuiteContext,
  type EngineFixtureFactory,
} from "./engine-suite-support.js";
import { describeTransactionSuite } from "./engine.transaction.suite.js";
import {
  createTestDatabase,
  type PersistenceKind,
} from "./testing/test-database.js";

/**
 * Declares the engine suite over `kind` persistence (call at the top level of a test file); for
 * other persistences pass a `factory` (see `createEngineFixture`).
 */
export function runEngineSuite(
  kind: PersistenceKind | string,
  factory: EngineFixtureFactory = (options) =>
    createTestDatabase(kind as PersistenceKind, options),
): void {
  describe(`Database over ${kind} persistence`, () => {
    const ctx = createEngineSuiteContext(kind, factory);
    describe("transactions", () => describeTransactionSuite(ctx));
    describe("committer", () => describeOccSuite(ctx));
    describe("serializability", () => describeSerializabilitySuite(ctx));
    describe("schema and indexes", () => describeSchemaSuite(ctx));
    describe("durability and retention", () => describeDurabilitySuite(ctx));
  });
}
