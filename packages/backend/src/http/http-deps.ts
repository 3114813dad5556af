import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { JsonValue } from "../values/value.js";
import type { DeployApi } from "./push/deploy-api.js";
import type { UdfType } from "../runtime/app-analysis.js";
import type { FunctionExecutionLog } from "../runtime/function-logs.js";
import type { UdfRequest } from "../runtime/function-runner.js";
import type { UserIdentity } from "../runtime/host-invocation.js";

export type { UdfType, FunctionExecutionLog, UdfRequest, UserIdentity };
export type { LogLine } from "../runtime/sandbox/log-collector.js";

/*
 * The ports `createHttpApp` needs. Requests, identities and log entries are the runtime's own
 * types; the ports are narrow interfaces over `FunctionRunner.run`, `FunctionLogs` and
 * `runHttpAction`, so `app/` can pass the runner straight in while tests pass small fakes.
 */

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
