/**
 * Function handles (`createFunctionHandle`): strings that name a function of this deployment and
 * can be stored, then called or scheduled like a function reference. Components are not
 * supported, so a handle is `function://` followed by the function's canonical path.
 */
import { canonicalizeUdfPath } from "./udf-path.js";

const PREFIX = "function://";

/** The handle of the function at `name` (any spelling `canonicalizeUdfPath` accepts). */
export function functionHandleFor(name: string): string {
  return PREFIX + canonicalizeUdfPath(name);
}

/**
 * The canonical path of the function a `run*` or scheduler syscall names: by path (`name`) or
 * by handle (`functionHandle`).
 *
 * @throws Error for a component reference (`reference`), a malformed handle, or no function.
 */
export function calleePath(args: Record<string, unknown>): string {
  const name = args["name"];
  if (typeof name === "string") return canonicalizeUdfPath(name);
  const handle = args["functionHandle"];
  if (typeof handle === "string") {
    if (!handle.startsWith(PREFIX) || handle.length === PREFIX.length)
      throw new Error(`Invalid function handle "${handle}".`);
    return canonicalizeUdfPath(handle.slice(PREFIX.length));
  }
  if (args["reference"] !== undefined)
    throw new Error("Components are not supported by this backend yet.");
  throw new Error("Expected a function name or a function handle.");
}
