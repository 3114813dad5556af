/**
 * The engine's behaviour suite, run over every persistence (STYLE.md §5.5): call
 * `runEngineSuite(kind)` from a test file per persistence. Topics live in
 * `engine.<topic>.suite.ts`.
 */
import { describe } from "vitest";
import { describeDurabilitySuite } from "./engine.durability.suite.js";
import { describeOccSuite } from "./engine.occ.suite.js";
import { describeSchemaSuite } from "./engine.schema.suite.js";
import { describeSearchSuite } from "./engine.search.suite.js";
import { describeSerializabilitySuite } from "./engine.serializability.suite.js";
import {
  createEngineSuiteContext,
  type EngineFixtureFactory,
} from "./engine-suite-support.js";
import { describeTransactionSuite } from "./engine.transaction.suite.js";

/**
 * Declares the engine suite over the persistence `factory` creates (call at the top level of a
 * test file); `kind` names it in the output.
 */
export function runEngineSuite(
  kind: string,
  factory: EngineFixtureFactory,
): void {
  describe(`Database over ${kind} persistence`, () => {
    const ctx = createEngineSuiteContext(kind, factory);
    describe("transactions", () => describeTransactionSuite(ctx));
    describe("committer", () => describeOccSuite(ctx));
    describe("serializability", () => describeSerializabilitySuite(ctx));
    describe("schema and indexes", () => describeSchemaSuite(ctx));
    describe("search", () => describeSearchSuite(ctx));
    describe("durability and retention", () => describeDurabilitySuite(ctx));
  });
}
