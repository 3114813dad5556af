import { BackendError } from "../errors/backend-error.js";
import type { JsonValue } from "../values/value.js";
import { resolveCaller } from "./caller.js";
import { CLEAN_JSON, encodedToCleanJson } from "./clean-json.js";
import type { HttpDeps, RunResult, UdfRequest, UdfType } from "./http-deps.js";
import {
  expectObject,
  optionalStringField,
  stringField,
  type JsonObject,
} from "./json-fields.js";
import {
  decodeBody,
  MAX_FUNCTION_BODY_BYTES,
  parseJsonBody,
  readRawBody,
  type HeaderLookup,
} from "./request-body.js";
import { jsonResponse } from "./responses.js";
import type { Route, RouteContext } from "./route.js";

/*
 * The shared path of `/api/query`, `/api/mutation`, `/api/action`, `/api/function` and
 * `/api/query_at_ts`: body `{path, args, format}` (args an object or a one-element array), caller
 * from the Authorization header, result as `{status, value | errorMessage, errorData?, logLines}`
 * with HTTP 200 (wire protocol §2.2-2.3).
 */

/** The value format every official client sends (and the default here). */
const CONVEX_ENCODED_JSON = "convex_encoded_json";

/** What a function route asks of the shared path. */
export interface FunctionRouteOptions {
  /** The kind the route runs, or undefined for any kind (`/api/function`). */
  readonly udfType: UdfType | undefined;
  /** Only admins may call this route (`/api/function`). */
  readonly adminOnly: boolean;
  /** Reads the snapshot timestamp from the body (`/api/query_at_ts`). */
  readonly readTs?: ((body: JsonObject) => bigint) | undefined;
}

/** A function call as the shared path reads it: its headers, and its body as it came. */
export interface FunctionCallRequest {
  readonly headers: HeaderLookup;
  /** Called once the caller is authorised (so a refused caller is refused whatever it sent). */
  readBody(): Promise<Buffer>;
}

/**
 * A function-call route: answers through {@link handleFunctionCall}, and carries its options so
 * the Node adapter can serve it without WHATWG objects (`call-lane.ts`).
 */
export function callRoute(path: string, options: FunctionRouteOptions): Route {
  return {
    method: "POST",
    path,
    call: options,
    handle: (context) => handleFunctionCall(context, options),
  };
}

/** The fetch-style form of {@link runFunctionCall}. */
async function handleFunctionCall(
  context: RouteContext,
  options: FunctionRouteOptions,
): Promise<Response> {
  const { request } = context;
  const call: FunctionCallRequest = {
    headers: request.headers,
    readBody: () => readRawBody(request, { maxBytes: MAX_FUNCTION_BODY_BYTES }),
  };
  return jsonResponse(await runFunctionCall(call, context.deps, options));
}

/**
 * Parses, authorises and runs one function call, and encodes its result (the JSON of an HTTP 200
 * answer). Throws a `BackendError` for a request that cannot run.
 */
export async function runFunctionCall(
  call: FunctionCallRequest,
  deps: HttpDeps,
  options: FunctionRouteOptions,
): Promise<JsonObject> {
  const caller = await resolveCaller(call.headers.get("authorization"), deps);
  if (options.adminOnly && !caller.isAdmin) {
    throw new BackendError(
      "Unauthenticated",
      "MissingAdminKey",
      "This endpoint runs any function, including internal ones, and requires an admin key: send `Authorization: Convex <admin key>`.",
    );
  }
  const body = expectObject(
    parseJsonBody(
      await decodeBody(await call.readBody(), call.headers, {
        maxBytes: MAX_FUNCTION_BODY_BYTES,
      }),
    ),
    "the request body",
  );
  const format = parseFormat(body);
  assertRootComponent(body);
  const request: UdfRequest = {
    udfPath: parseUdfPath(body),
    udfType: options.udfType,
    args: parseArgs(body.args),
    identity: caller.identity,
    allowInternal: caller.isAdmin,
    readTs: options.readTs?.(body),
  };
  const result = await deps.functions.run(request);
  if (format === CLEAN_JSON && result.success) {
    return encodeRunResult({
      ...result,
      value: encodedToCleanJson(result.value),
    });
  }
  return encodeRunResult(result);
}

function parseUdfPath(body: JsonObject): string {
  const path = stringField(body, "path");
  if (path.trim() === "") {
    throw new BackendError(
      "BadRequest",
      "InvalidFunctionPath",
      "The function path is empty.",
    );
  }
  return path;
}

/** Accepts `{…}` or `[{…}]`; missing args are `{}`. */
function parseArgs(args: JsonValue | undefined): JsonValue {
  if (args === undefined || args === null) return {};
  const inner = Array.isArray(args) && args.length === 1 ? args[0] : args;
  if (
    inner === undefined ||
    inner === null ||
    typeof inner !== "object" ||
    Array.isArray(inner)
  ) {
    throw new BackendError(
      "BadRequest",
      "InvalidArgs",
      "Function arguments must be an object or an array holding one object.",
    );
  }
  return inner;
}

/** Encoded JSON (the default) or clean JSON (`"json"`, see clean-json.ts). */
function parseFormat(body: JsonObject): string {
  const format = optionalStringField(body, "format") ?? CONVEX_ENCODED_JSON;
  if (format !== CONVEX_ENCODED_JSON && format !== CLEAN_JSON) {
    throw new BackendError(
      "BadRequest",
      "UnsupportedFormat",
      `Unsupported value format "${format}": Hull speaks "${CONVEX_ENCODED_JSON}" and "${CLEAN_JSON}".`,
    );
  }
  return format;
}

function assertRootComponent(body: JsonObject): void {
  const componentPath = optionalStringField(body, "componentPath");
  if (componentPath !== undefined && componentPath !== "") {
    throw new BackendError(
      "BadRequest",
      "ComponentsNotSupported",
      `Hull does not run components yet (componentPath "${componentPath}").`,
    );
  }
}

/** The wire form of a function result: always HTTP 200, errors as `status: "error"`. */
export function encodeRunResult(result: RunResult): JsonObject {
  if (result.success) {
    return {
      status: "success",
      value: result.value,
      logLines: [...result.logLines],
    };
  }
  return {
    status: "error",
    errorMessage: result.errorMessage,
    ...(result.errorData === undefined ? {} : { errorData: result.errorData }),
    logLines: [...result.logLines],
  };
}
