import type { Logger } from "../shared/logger.js";

/**
 * What a failure means for whoever runs the command: `invalid config` (fix the flags or
 * environment), `invalid data` (the data directory is unusable), `transient` (retrying may
 * work: a port in use), `fatal` (a bug).
 */
export type CliErrorType =
  "invalid config" | "invalid data" | "transient" | "fatal";

/** How commands talk to the outside world (convex-js `bundler/context.ts`, STYLE.md §5.4 rule 9). */
export interface CliContext {
  /** Diagnostics and progress, to stderr. */
  readonly log: Logger;
  /** A line of the command's result, to stdout. */
  print(line: string): void;
  /** Ends the command: prints `message` to stderr and exits with `exitCode`. Never returns. */
  crash(args: {
    exitCode: number;
    errorType: CliErrorType;
    message: string;
    cause?: unknown;
  }): Promise<never>;
}
