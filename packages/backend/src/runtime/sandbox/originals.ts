/**
 * The realm's original globals, captured when the sandbox is first loaded, before
 * `determinism.ts` and `console-capture.ts` replace them. Host code inside the sandbox (timers,
 * clocks, logging) uses these so it is never affected by an invocation's restrictions.
 */
export const realDateNow: () => number = Date.now.bind(Date);
export const realSetTimeout: typeof setTimeout =
  globalThis.setTimeout.bind(globalThis);
export const realClearTimeout: typeof clearTimeout =
  globalThis.clearTimeout.bind(globalThis);
export const realSetInterval: typeof setInterval =
  globalThis.setInterval.bind(globalThis);
export const realClearInterval: typeof clearInterval =
  globalThis.clearInterval.bind(globalThis);
export const realSetImmediate: typeof setImmediate =
  globalThis.setImmediate.bind(globalThis);
