/**
 * How a thrown value leaves the sandbox: Convex's `Uncaught Name: message` text with the user's
 * stack frames, and for a `ConvexError` its data as convex-JSON.
 */

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

function userFrames(stack: string, userCodeDir: string | null): string {
  if (userCodeDir === null) return "";
  const prefix = `file://${userCodeDir}/`;
  const kept = stack
    .split("\n")
    .filter((line) => line.startsWith("    at ") && line.includes(prefix))
    .map((line) => line.replaceAll(prefix, "../convex/"));
  return kept.length === 0 ? "" : `\n${kept.join("\n")}`;
}
