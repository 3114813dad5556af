/**
 * The one conformance suite every `Persistence` driver runs (STYLE.md §5.5, Hono's `runTest`).
 * Call it from a driver's test file:
 *
 * ```ts
 * runPersistenceSuite({ name: "SqlitePersistence", create: createTestSqlitePersistence });
 * ```
 *
 * Each test gets a fresh, empty persistence from `create` and disposes it afterwards. The suite
 * knows nothing about any driver; topics live in `persistence.<topic>.suite.ts`.
 */
import { describe } from "vitest";
import { describeIndexScanSuite } from "./persistence.index-scan.suite.js";
import { describeModelSuite } from "./persistence.model.suite.js";
import { describePruneSuite } from "./persistence.prune.suite.js";
import { describeReadSuite } from "./persistence.read.suite.js";
import {
  createSuiteContext,
  type PersistenceFactory,
  type PersistenceSuiteSkip,
} from "./persistence-suite-support.js";
import { describeWriteSuite } from "./persistence.write.suite.js";

export type {
  PersistenceFactory,
  PersistenceSuiteSkip,
} from "./persistence-suite-support.js";

export interface PersistenceSuiteOptions {
  /** The driver's name, used as the `describe` title. */
  readonly name: string;
  /** A fresh, empty persistence; disposing it closes it and removes what it created. */
  readonly create: PersistenceFactory;
  /** Tests to skip, by exact test name, each group with its reason. */
  readonly skip?: readonly PersistenceSuiteSkip[] | undefined;
  /** Runs of the randomized model check (default 15); lower it for slow drivers. */
  readonly modelRuns?: number | undefined;
}

/** Declares the conformance suite for one driver (call at the top level of a test file). */
export function runPersistenceSuite(options: PersistenceSuiteOptions): void {
  const ctx = createSuiteContext(options.create, options.skip ?? []);
  describe(options.name, () => {
    describe("writes", () => describeWriteSuite(ctx));
    describe("document reads", () => describeReadSuite(ctx));
    describe("index scans", () => describeIndexScanSuite(ctx));
    describe("pruning", () => describePruneSuite(ctx));
    describe("model check", () =>
      describeModelSuite(ctx, options.modelRuns ?? 15));
  });
}
