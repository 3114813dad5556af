/**
 * Resolving what a caller asked for: the function a path names (visibility, kind), the
 * arguments object, and Convex's messages when either is wrong.
 */
import { jsonToConvex } from "../values/json.js";
import type { JsonValue, Value } from "../values/value.js";
import type { UdfType } from "./app-analysis.js";
import type { DeployedFunction, Deployment } from "./deployment.js";
import {
  MAX_CALL_DEPTH,
  type HostInvocation,
  type NestedCall,
} from "./host-invocation.js";
import { SyscallError } from "./sandbox/invocation.js";
import { displayUdfPath } from "./udf-path.js";

/** What `resolveFunction` needs to know about a request. */
export interface ResolveRequest {
  readonly udfPath: string;
  readonly udfType?: UdfType | undefined;
  readonly allowInternal: boolean;
}

/** Arguments as validated (`value`) and as sent to the sandbox (`json`, convex-JSON text). */
export interface ArgsValue {
  readonly value: Value;
  readonly json: string;
}

/** The arguments object, or the error message for malformed arguments. */
export function decodeArgs(args: JsonValue): ArgsValue | string {
  const object =
    Array.isArray(args) && args.length <= 1 ? (args[0] ?? {}) : args;
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    return `ArgumentValidationError: Expected the function's argument to be an object, received ${JSON.stringify(args)}.`;
  }
  try {
    return { value: jsonToConvex(object), json: JSON.stringify(object) };
  } catch (e) {
    return `ArgumentValidationError: ${(e as Error).message}`;
  }
}

export function resolveFunction(
  deployment: Deployment | null,
  request: ResolveRequest,
): { deployment: Deployment; fn: DeployedFunction } | string {
  const fn = deployment?.lookup(request.udfPath);
  const visible =
    fn !== undefined &&
    (request.allowInternal || fn.analyzed.visibility !== "internal");
  if (deployment === null || fn === undefined || !visible) {
    return notFoundMessage(request.udfPath, request.allowInternal);
  }
  if (
    request.udfType !== undefined &&
    request.udfType !== fn.analyzed.udfType
  ) {
    return kindMismatchMessage(fn.path, request.udfType, fn.analyzed.udfType);
  }
  return { deployment, fn };
}

export function nestedTarget(
  deployment: Deployment,
  parent: HostInvocation,
  call: NestedCall,
): DeployedFunction {
  if (parent.scope.depth + 1 > MAX_CALL_DEPTH)
    throw new SyscallError(depthError());
  const resolved = resolveFunction(deployment, {
    udfPath: call.udfPath,
    udfType: call.udfType,
    allowInternal: true,
  });
  if (typeof resolved === "string") throw new SyscallError(resolved);
  return resolved.fn;
}

/** Convex's messages for a path that names no callable function. */
export function notFoundMessage(udfPath: string, admin: boolean): string {
  const shown = displayUdfPath(udfPath);
  return admin
    ? `Could not find function for '${shown}'. Did you forget to run \`npx convex dev\`?`
    : `Could not find public function for '${shown}'. Did you forget to run \`npx convex dev\`?`;
}

function kindMismatchMessage(
  path: string,
  requested: UdfType,
  actual: UdfType,
): string {
  const name = (kind: UdfType) => kind[0]!.toUpperCase() + kind.slice(1);
  return `Trying to execute ${displayUdfPath(path)} as ${name(requested)}, but it is defined as ${name(actual)}.`;
}

export function depthError(): string {
  return `Cross function call depth limit exceeded: at most ${MAX_CALL_DEPTH} nested function calls are allowed.`;
}
