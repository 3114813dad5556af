/**
 * Deterministic globals for queries and mutations (Convex's `udf-runtime` rules): `Date` frozen
 * at the invocation's start, `Math.random` and `crypto.getRandomValues`/`randomUUID` from the
 * invocation's seeded generator, `fetch` and timers refused. Actions, HTTP actions and host code
 * keep the real behaviour: every replacement asks `currentInvocation()` first.
 *
 * `process.env` becomes a read-only view of the deployment's environment variables inside
 * invocations and while modules are imported.
 */
import { currentInvocation, type SandboxInvocation } from "./invocation.js";
import { realDateNow, realSetInterval, realSetTimeout } from "./originals.js";
import { fillBytes, randomUuid } from "./seeded-random.js";

const ACTIONS_DOC =
  "See https://docs.convex.dev/functions/actions for more details.";

/** Convex's refusal of a non-deterministic operation inside a query or mutation. */
export function notAllowedInQueriesOrMutations(what: string): Error {
  return new Error(
    `Can't use ${what} in queries and mutations. Please consider using an action. ${ACTIONS_DOC}`,
  );
}

function deterministicInvocation(): SandboxInvocation | undefined {
  const invocation = currentInvocation();
  return invocation?.deterministic === true ? invocation : undefined;
}

const environment: {
  vars: Record<string, string>;
  importing: number;
  installed: boolean;
  shareHost: boolean;
} = {
  vars: {},
  importing: 0,
  installed: false,
  shareHost: false,
};

/**
 * The in-process test harness (issue 7): user code sees this process's own `process.env`, live,
 * as tests expect when they set variables for the functions they call.
 */
export function shareHostEnvironment(): void {
  environment.shareHost = true;
}

/** Sets the deployment environment variables that user code sees in `process.env`. */
export function setSandboxEnvironment(vars: Record<string, string>): void {
  environment.vars = { ...vars };
}

/** Runs `load` with `process.env` showing the deployment's variables (module import time). */
export async function withImportEnvironment<T>(
  load: () => Promise<T>,
): Promise<T> {
  environment.importing++;
  try {
    return await load();
  } finally {
    environment.importing--;
  }
}

/** Installs the replacements once per realm. */
export function installDeterminism(): void {
  if (environment.installed) return;
  environment.installed = true;
  installDate();
  installRandom();
  installNetworkAndTimers();
  installEnvironment();
}

function installDate(): void {
  const RealDate = Date;
  const now = (): number => deterministicInvocation()?.nowMs ?? realDateNow();
  function SandboxDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(now()).toString();
    return Reflect.construct(
      RealDate,
      args.length === 0 ? [now()] : args,
      new.target,
    ) as Date;
  }
  SandboxDate.prototype = RealDate.prototype;
  SandboxDate.now = now;
  SandboxDate.parse = RealDate.parse.bind(RealDate);
  SandboxDate.UTC = RealDate.UTC.bind(RealDate);
  globalThis.Date = SandboxDate as unknown as DateConstructor;
}

function installRandom(): void {
  const realRandom = Math.random.bind(Math);
  Math.random = () => {
    const invocation = deterministicInvocation();
    return invocation === undefined
      ? realRandom()
      : invocation.random() / 4294967296;
  };
  const webCrypto = globalThis.crypto as unknown as {
    getRandomValues<T extends ArrayBufferView | null>(array: T): T;
    randomUUID(): string;
  };
  const realGetRandomValues = webCrypto.getRandomValues.bind(webCrypto);
  const realRandomUuid = webCrypto.randomUUID.bind(webCrypto);
  webCrypto.getRandomValues = <T extends ArrayBufferView | null>(
    array: T,
  ): T => {
    const invocation = deterministicInvocation();
    if (invocation === undefined || array === null)
      return realGetRandomValues(array);
    fillBytes(
      invocation.random,
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
    return array;
  };
  webCrypto.randomUUID = () => {
    const invocation = deterministicInvocation();
    return invocation === undefined
      ? realRandomUuid()
      : randomUuid(invocation.random);
  };
}

function installNetworkAndTimers(): void {
  const realFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (input, init) =>
    deterministicInvocation() === undefined
      ? realFetch(input, init)
      : Promise.reject(notAllowedInQueriesOrMutations("fetch()"));
  const guard = <F extends (...args: never[]) => unknown>(
    name: string,
    real: F,
  ): F =>
    ((...args: Parameters<F>) => {
      if (deterministicInvocation() !== undefined)
        throw notAllowedInQueriesOrMutations(name);
      return real(...args);
    }) as F;
  globalThis.setTimeout = guard<typeof setTimeout>(
    "setTimeout",
    realSetTimeout,
  );
  globalThis.setInterval = guard<typeof setInterval>(
    "setInterval",
    realSetInterval,
  );
}

function installEnvironment(): void {
  const realEnv = process.env;
  const view = (): Record<string, string | undefined> =>
    !environment.shareHost &&
    (currentInvocation() !== undefined || environment.importing > 0)
      ? environment.vars
      : realEnv;
  process.env = new Proxy(realEnv, {
    get: (_target, key) => (typeof key === "string" ? view()[key] : undefined),
    has: (_target, key) => typeof key === "string" && key in view(),
    ownKeys: () => Object.keys(view()),
    getOwnPropertyDescriptor: (_target, key) => {
      const value = typeof key === "string" ? view()[key] : undefined;
      if (value === undefined) return undefined;
      return { value, writable: false, enumerable: true, configurable: true };
    },
    set: (_target, key, value) => {
      if (view() !== realEnv || typeof key !== "string") return false;
      realEnv[key] = String(value);
      return true;
    },
    deleteProperty: (_target, key) => {
      if (view() !== realEnv || typeof key !== "string") return false;
      return delete realEnv[key];
    },
  });
}
