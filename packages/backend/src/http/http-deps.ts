import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { JsonValue } from "../values/value.js";
import type { DeployApi } from "./push/deploy-api.js";

/*
 * The ports `createHttpApp` needs. They mirror the runtime's contract (`runtime/README.md`:
 * `FunctionRunner.run`, `FunctionLogs`, `runHttpAction`) structurally, so `app/` can pass the
 * runner straight in while tests pass small fakes.
 */

/** The kinds of function a route can ask for. */
export type UdfType = "query" | "mutation" | "action";

/** `UserIdentity` as user code sees it from `ctx.auth.getUserIdentity()`. */
export type UserIdentity = Readonly<Record<string, JsonValue>>;

/** One function invocation (the runtime's `UdfRequest`). */
export interface UdfRequest {
  /** As the client sent it: `messages:list`, `messages`, `dir/mod.js:fn`. */
  readonly udfPath: string;
  /** The kind the route expects; a mismatch is an error result. Absent: any kind. */
  readonly udfType?: UdfType | undefined;
  /** Convex-JSON arguments object. */
  readonly args: JsonValue;
  readonly identity: UserIdentity | null;
  /** Admin callers may run internal and `_system/` functions. */
  readonly allowInternal: boolean;
  /** Queries only: read at this snapshot instead of the latest. */
  readonly readTs?: bigint | undefined;
  readonly requestId?: string | undefined;
}

/**
 * What a call produced, shaped like convex-js `FunctionResult` (values in convex-JSON). A
 * user-caused failure (unknown function, argument validation, a thrown error, `ConvexError`) is
 * `success: false`; infrastructure failures reject with a `BackendError` instead.
 */
export type RunResult =
  | {
      readonly success: true;
      readonly value: JsonValue;
      readonly logLines: readonly string[];
    }
  | {
      readonly success: false;
      readonly errorMessage: string;
      readonly errorData?: JsonValue | undefined;
      readonly logLines: readonly string[];
    };

/** Runs functions (the runtime's `FunctionRunner`). */
export interface FunctionRunnerPort {
  run(request: UdfRequest): Promise<RunResult>;
  /** Serves an HTTP action request routed by the app's `http.js` router. */
  runHttpAction?(
    request: Request,
    options?: { identity?: UserIdentity | null },
  ): Promise<Response>;
}

/** One log line of a function execution. */
export interface LogLine {
  readonly level: "LOG" | "INFO" | "WARN" | "ERROR" | "DEBUG";
  readonly messages: readonly string[];
  readonly timestampMs: number;
  readonly isTruncated: boolean;
}

/** One finished function execution (the runtime's `FunctionExecutionLog`). */
export interface FunctionExecutionLog {
  readonly udfType: "Query" | "Mutation" | "Action" | "HttpAction";
  /** `messages.js:list`, or `GET /path` for HTTP actions. */
  readonly identifier: string;
  readonly timestampMs: number;
  readonly executionTimeMs: number;
  readonly logLines: readonly LogLine[];
  readonly error: string | null;
  readonly requestId: string;
}

/** The function log buffer (the runtime's `FunctionLogs`). */
export interface FunctionLogSource {
  /** Entries with `timestampMs > cursorMs`, and the cursor to poll with next. */
  since(cursorMs: number): {
    entries: readonly FunctionExecutionLog[];
    newCursor: number;
  };
  /** Resolves when an entry newer than `cursorMs` exists, or when `signal` aborts. */
  waitForEntries(cursorMs: number, signal: AbortSignal): Promise<void>;
}

/** The instance's identity and public addresses. */
export interface InstanceInfo {
  readonly instanceName: string;
  /** What `GET /version` reports. */
  readonly version: string;
  /** e.g. `http://127.0.0.1:3210`. */
  readonly cloudOrigin: string;
  /** e.g. `http://127.0.0.1:3211`. */
  readonly siteOrigin: string;
}

/** One change to the deployment's environment variables; a null value deletes the variable. */
export interface EnvironmentVariableChange {
  readonly name: string;
  readonly value: string | null;
}

/** The deployment's environment variables (`npx convex env set/remove`). */
export interface EnvironmentVariablesPort {
  /**
   * Applies the changes together, durably. Throws `BackendError(BadRequest, …)` for an invalid
   * name or value; then nothing changes.
   */
  update(changes: readonly EnvironmentVariableChange[]): Promise<void>;
}

/** A stored file opened for download. */
export interface StoredFile {
  readonly size: number;
  readonly stream: ReadableStream<Uint8Array>;
  readonly contentType: string | null;
}

/** File storage (the runtime's `FileStorage`): uploads through signed URLs, downloads by id. */
export interface FileStoragePort {
  /**
   * Stores the bytes posted to an upload URL; resolves with the storage id. Throws
   * `BackendError` for a bad or expired token, a file over the limit, a digest mismatch.
   */
  upload(
    token: string | null,
    file: {
      readonly body: Uint8Array;
      readonly contentType: string | null;
      readonly sha256Base64?: string | undefined;
    },
  ): Promise<string>;
  /** The file `storageId` (a `_storage` id), or null when it does not exist (or was deleted). */
  open(storageId: string): Promise<StoredFile | null>;
}

/** Everything `createHttpApp` needs; `app/` wires in the real implementations. */
export interface HttpDeps {
  readonly instance: InstanceInfo;
  readonly logger: Logger;
  readonly clock: Clock;
  /** True when `adminKey` is valid for this instance (compared in constant time). */
  checkAdminKey(adminKey: string): boolean;
  readonly functions: FunctionRunnerPort;
  /** The newest committed timestamp (`/api/query_ts`). */
  latestTs(): bigint;
  readonly logs: FunctionLogSource;
  readonly deploy: DeployApi;
  readonly environment: EnvironmentVariablesPort;
  /** `/api/storage/…` routes; absent: they answer 404. */
  readonly storage?: FileStoragePort | undefined;
  /**
   * Verifies a user token (`Authorization: Bearer`) and resolves with its identity; rejects with
   * a `BackendError` (`Unauthenticated`). Absent: user tokens are treated as anonymous.
   */
  verifyUserToken?(token: string): Promise<UserIdentity>;
}
