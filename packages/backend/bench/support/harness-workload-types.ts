/** The part of `convexTest`'s API both sides of the `harness` benchmark share. */
export interface TestConvexLike {
  query(fn: unknown, args?: Record<string, unknown>): Promise<unknown>;
  mutation(fn: unknown, args?: Record<string, unknown>): Promise<unknown>;
  finishAllScheduledFunctions(advanceTimers: () => void): Promise<void>;
}

export type ConvexTest = (
  schema: unknown,
  modules: Record<string, () => Promise<unknown>>,
) => TestConvexLike;
