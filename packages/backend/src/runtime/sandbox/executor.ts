/**
 * Runs one function invocation inside the sandbox: builds the invocation's context, calls the
 * `convex` package's own entry point (`invokeQuery`, `invokeMutation`, `invokeAction`,
 * `invokeHttpAction`) inside its `AsyncLocalStorage` scope, and reports the outcome as data.
 */
import { timeoutError } from "./convex-global.js";
import { serializeUncaught, type SerializedFailure } from "./errors.js";
import {
  invocationStorage,
  type SandboxInvocation,
  type SyscallChannel,
} from "./invocation.js";
import type { LoadedModules } from "./loaded-modules.js";
import { LogCollector, type LogLine } from "./log-collector.js";
import { realDateNow } from "./originals.js";
import { streamResponse } from "./response-stream.js";
import { createSeededSource } from "./seeded-random.js";
import type { UserTimeTracker } from "./user-time.js";

/** Everything the sandbox needs to run one query, mutation or action. */
export interface InvocationSpec {
  readonly id: number;
  readonly modulePath: string;
  readonly functionName: string;
  readonly kind: "query" | "mutation" | "action";
  /** The `argsStr` the package expects: a JSON array holding one convex-JSON object. */
  readonly argsJson: string;
  readonly requestId: string;
  /** Frozen `Date.now()` for queries and mutations. */
  readonly nowMs: number;
  readonly seed: readonly [number, number, number, number];
  readonly snapshotTsJson: string | null;
  /** User time allowed, ms. */
  readonly timeLimitMs: number;
  /** Wall-clock time allowed, ms (enforced by the host). */
  readonly wallClockLimitMs: number;
}

/** A request an HTTP action receives, in a form that can cross to a worker. */
export interface SerializedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array | null;
}

/** A response an HTTP action produced, in a form that can cross back. */
export interface SerializedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  /** The body was already sent as it was produced (`response-stream.ts`); `body` is empty. */
  readonly streamed?: boolean | undefined;
}

export interface HttpInvocationSpec {
  readonly id: number;
  readonly request: SerializedRequest;
  readonly timeLimitMs: number;
  readonly seed: readonly [number, number, number, number];
}

interface OutcomeBase {
  readonly logLines: readonly LogLine[];
  readonly usedMs: number;
}

/** How an invocation ended. `timedOut` failures replace whatever the code did after its limit. */
export type InvocationOutcome =
  | (OutcomeBase & { readonly type: "success"; readonly resultJson: string })
  | (OutcomeBase & {
      readonly type: "failure";
      readonly failure: SerializedFailure;
      readonly timedOut: boolean;
    });

export type HttpInvocationOutcome =
  | (OutcomeBase & {
      readonly type: "response";
      readonly response: SerializedResponse;
    })
  | (OutcomeBase & {
      readonly type: "failure";
      readonly failure: SerializedFailure;
      readonly timedOut: boolean;
    });

/** The HTTP status and body of a request no route matches (Convex's wording). */
const NO_ROUTE_BODY = "No matching routes found";

export class SandboxExecutor {
  readonly #modules: LoadedModules;
  readonly #tracker: UserTimeTracker;
  readonly #userCodeDir: string | null;

  constructor(
    modules: LoadedModules,
    tracker: UserTimeTracker,
    userCodeDir: string | null,
  ) {
    this.#modules = modules;
    this.#tracker = tracker;
    this.#userCodeDir = userCodeDir;
  }

  /** Runs a query, mutation or action. Never rejects: failures are outcomes. */
  async run(
    spec: InvocationSpec,
    channel: SyscallChannel,
  ): Promise<InvocationOutcome> {
    const invocation = this.#newInvocation(spec, spec.kind, channel);
    const fn = this.#modules.getFunction(spec.modulePath, spec.functionName);
    return this.#execute(invocation, async () => {
      if (fn?.kind !== spec.kind) {
        throw new Error(
          `Could not find ${spec.kind} ${spec.modulePath}:${spec.functionName}`,
        );
      }
      const method = {
        query: "invokeQuery",
        mutation: "invokeMutation",
        action: "invokeAction",
      }[spec.kind];
      const invoke = fn.exported[method] as (
        ...args: string[]
      ) => Promise<string>;
      const resultJson =
        spec.kind === "action"
          ? await invoke(spec.requestId, spec.argsJson)
          : await invoke(spec.argsJson);
      return { type: "success" as const, resultJson };
    });
  }

  /** Routes and runs an HTTP action. Never rejects: failures are outcomes. */
  async runHttp(
    spec: HttpInvocationSpec,
    channel: SyscallChannel,
  ): Promise<HttpInvocationOutcome> {
    const invocation = this.#newInvocation(
      { ...spec, nowMs: 0, snapshotTsJson: null },
      "httpAction",
      channel,
    );
    return this.#execute(invocation, async () => {
      const request = toRequest(spec.request);
      const router = this.#modules.httpRouter();
      const match =
        router?.lookup(new URL(request.url).pathname, request.method) ?? null;
      if (match === null) {
        return {
          type: "response" as const,
          response: textResponse(404, NO_ROUTE_BODY),
        };
      }
      const handler = match[0] as {
        invokeHttpAction(request: Request): Promise<Response>;
      };
      const response = await handler.invokeHttpAction(request);
      const streamed = await streamResponse(response, invocation.channel);
      return {
        type: "response" as const,
        response:
          streamed === null
            ? await serializeResponse(response)
            : { ...streamed, body: new Uint8Array(0), streamed: true },
      };
    });
  }

  #newInvocation(
    spec: Pick<
      InvocationSpec,
      "id" | "nowMs" | "seed" | "snapshotTsJson" | "timeLimitMs"
    >,
    kind: SandboxInvocation["kind"],
    channel: SyscallChannel,
  ): SandboxInvocation {
    return {
      id: spec.id,
      kind,
      deterministic: kind === "query" || kind === "mutation",
      nowMs: spec.nowMs,
      random: createSeededSource(spec.seed),
      snapshotTsJson: spec.snapshotTsJson,
      channel,
      logs: new LogCollector(realDateNow),
      queries: new Map(),
      nextQueryId: 0,
      asyncSyscallsIssued: 0,
      asyncSyscallsInFlight: 0,
      timeLimitMs: spec.timeLimitMs,
      usedMs: 0,
      failure: null,
    };
  }

  async #execute<T extends object>(
    invocation: SandboxInvocation,
    body: () => Promise<T>,
  ): Promise<(T & OutcomeBase) | (OutcomeBase & FailureFields)> {
    let outcome: T | FailureFields;
    try {
      outcome = await invocationStorage.run(invocation, () => {
        this.#tracker.enter(invocation);
        return body();
      });
    } catch (e) {
      outcome = {
        type: "failure",
        failure: serializeUncaught(e, this.#userCodeDir),
        timedOut: false,
      };
    }
    this.#tracker.leave(invocation);
    if (
      invocation.failure === null &&
      invocation.usedMs > invocation.timeLimitMs
    ) {
      invocation.failure = timeoutError(invocation.timeLimitMs);
    }
    if (invocation.failure !== null) {
      outcome = {
        type: "failure",
        failure: { message: invocation.failure.message },
        timedOut: true,
      };
    }
    return {
      ...outcome,
      logLines: invocation.logs.lines,
      usedMs: invocation.usedMs,
    };
  }
}

interface FailureFields {
  readonly type: "failure";
  readonly failure: SerializedFailure;
  readonly timedOut: boolean;
}

function toRequest(serialized: SerializedRequest): Request {
  const init: RequestInit = {
    method: serialized.method,
    headers: serialized.headers as [string, string][],
  };
  if (
    serialized.body !== null &&
    serialized.method !== "GET" &&
    serialized.method !== "HEAD"
  ) {
    init.body = serialized.body;
  }
  return new Request(serialized.url, init);
}

function textResponse(status: number, text: string): SerializedResponse {
  return {
    status,
    statusText: "",
    headers: [["content-type", "text/plain;charset=UTF-8"]],
    body: new TextEncoder().encode(text),
  };
}

async function serializeResponse(
  response: Response,
): Promise<SerializedResponse> {
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers.entries()],
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
