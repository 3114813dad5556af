/** Invariant checks: a failure is a bug in Hull, never a user error. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`Assertion failed: ${message}`);
}

export function must<T>(value: T | null | undefined, message: string): T {
  if (value === null || value === undefined) throw new Error(`Assertion failed: ${message}`);
  return value;
}
