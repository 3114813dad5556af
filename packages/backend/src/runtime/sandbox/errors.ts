/**
 * How a thrown value leaves the sandbox: Convex's `Uncaught Name: message` text with the user's
 * stack frames, and for a `ConvexError` its data as convex-JSON.
 */
import { dirname, isAbsolute, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** A failure ready to cross to the host. `data` is convex-JSON (ConvexError data only). */
export interface SerializedFailure {
  readonly message: string;
  readonly data?: unknown;
}

const CONVEX_ERROR = Symbol.for("ConvexError");

/** True for a `ConvexError` from any copy of the `convex` package. */
export function isConvexError(
  thrown: unknown,
): thrown is Error & { data: unknown } {
  return (
    typeof thrown === "object" && thrown !== null && CONVEX_ERROR in thrown
  );
}

/**
 * Formats an uncaught throw. `userCodeDir` is the directory of the deployment's files: stack
 * frames outside it (the sandbox, Node internals) are dropped and paths inside it are shown
 * relative to it.
 */
export function serializeUncaught(
  thrown: unknown,
  userCodeDir: string | null,
): SerializedFailure {
  if (isConvexError(thrown)) {
    return {
      message: `Uncaught ConvexError: ${thrown.message}`,
      data: convexErrorData(thrown),
    };
  }
  if (
    thrown instanceof Error ||
    (typeof thrown === "object" && thrown !== null && "stack" in thrown)
  ) {
    const error = thrown as Error;
    const name =
      typeof error.name === "string" && error.name !== ""
        ? error.name
        : "Error";
    const frames = userFrames(
      typeof error.stack === "string" ? error.stack : "",
      userCodeDir,
    );
    return { message: `Uncaught ${name}: ${String(error.message)}${frames}` };
  }
  return { message: `Uncaught ${String(thrown)}` };
}

/** A ConvexError's data as convex-JSON: the package has already stringified it on the way out. */
function convexErrorData(error: Error & { data: unknown }): unknown {
  if (typeof error.data === "string" && "ConvexErrorSymbol" in error) {
    try {
      return JSON.parse(error.data) as unknown;
    } catch {
      return error.data;
    }
  }
  return error.data ?? null;
}

/** Hull's own sources (`src/`, or `dist/` when built): their frames are never the user's. */
const HULL_SOURCE_DIR = dirname(
  dirname(dirname(fileURLToPath(import.meta.url))),
);

/** A stack frame's location: `(file:line:col)` or the bare location after `at `. */
const FRAME_LOCATION = /^( {4}at (?:.*? \()?)(.*?)(:\d+:\d+\)?)$/;

/**
 * The user's frames of `stack`: frames of Node internals, of Hull and of the `convex` package are
 * dropped. Paths are shown relative to the deployment's directory, so source-mapped frames read
 * like the app's own paths (`../convex/messages.ts:5:11`).
 */
function userFrames(stack: string, userCodeDir: string | null): string {
  if (userCodeDir === null) return "";
  const kept: string[] = [];
  for (const line of stack.split("\n")) {
    const match = FRAME_LOCATION.exec(line);
    if (match === null) continue;
    const [, head, location, tail] = match as unknown as [
      string,
      string,
      string,
      string,
    ];
    const path = location.startsWith("file://")
      ? fileURLToPath(location)
      : location;
    if (!isAbsolute(path) || isHullOrPackage(path)) continue;
    kept.push(`${head}${relative(userCodeDir, path)}${tail}`);
  }
  return kept.length === 0 ? "" : `\n${kept.join("\n")}`;
}

function isHullOrPackage(path: string): boolean {
  return (
    path.startsWith(HULL_SOURCE_DIR + sep) ||
    path.includes(`${sep}node_modules${sep}convex${sep}`)
  );
}
