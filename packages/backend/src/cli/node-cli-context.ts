import type { Logger } from "../shared/logger.js";
import type { CliContext, CliErrorType } from "./cli-context.js";

/** Log levels in increasing severity; lines below the threshold are dropped. */
const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/**
 * A `Logger` writing one line per entry to stderr: `level message key=value …`.
 * `threshold` drops the quieter levels.
 */
export function createStderrLogger(
  threshold: Level,
  fields: Record<string, unknown> = {},
): Logger {
  const write = (
    level: Level,
    message: string,
    extra?: Record<string, unknown>,
  ): void => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(threshold)) return;
    const all = { ...fields, ...extra };
    const suffix = Object.entries(all)
      .map(([key, value]) => `${key}=${formatField(value)}`)
      .join(" ");
    process.stderr.write(
      `${level.padEnd(5)} ${message}${suffix === "" ? "" : ` ${suffix}`}\n`,
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    with: (more) => createStderrLogger(threshold, { ...fields, ...more }),
  };
}

function formatField(value: unknown): string {
  if (value instanceof Error)
    return JSON.stringify(value.stack ?? value.message);
  if (typeof value === "string")
    return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** The process-backed context: stdout for results, stderr for the rest, `process.exit` on crash. */
export function createNodeCliContext(log: Logger): CliContext {
  return {
    log,
    print: (line) => {
      process.stdout.write(`${line}\n`);
    },
    crash: (args: {
      exitCode: number;
      errorType: CliErrorType;
      message: string;
      cause?: unknown;
    }) => {
      process.stderr.write(`✖ ${args.message}\n`);
      if (args.errorType === "fatal" && args.cause !== undefined) {
        log.error("cause", { error: args.cause });
      }
      process.exitCode = args.exitCode;
      return new Promise<never>(() => {
        process.exit(args.exitCode);
      });
    },
  };
}
