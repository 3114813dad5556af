/**
 * Console output of one invocation, kept as Convex's structured log lines. Convex keeps at most
 * 256 lines per execution and truncates each at 32 KiB; the same limits apply here.
 */
import { inspect } from "node:util";

export type LogLevel = "LOG" | "INFO" | "WARN" | "ERROR" | "DEBUG";

/** One console call: its arguments formatted like `util.inspect` (strings quoted at top level). */
export interface LogLine {
  readonly level: LogLevel;
  readonly messages: readonly string[];
  readonly timestampMs: number;
  readonly isTruncated: boolean;
}

/** Convex's per-execution cap on log lines. */
export const MAX_LOG_LINES = 256;
/** Convex's cap on one log line, in characters of formatted text. */
export const MAX_LOG_LINE_LENGTH = 32 * 1024;

/** Formats one console argument as Convex shows it: `'text'`, `42`, `{ a: 1 }`, `[Function: f]`. */
export function formatLogArgument(value: unknown): string {
  return inspect(value, { depth: 5 });
}

/** A log line as the text clients receive in `logLines`: `[LOG] 'hello' 42`. */
export function logLineToString(line: LogLine): string {
  return `[${line.level}] ${line.messages.join(" ")}`;
}

export class LogCollector {
  readonly #lines: LogLine[] = [];
  readonly #now: () => number;
  #overflowed = false;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Records a console call whose arguments are already formatted. */
  add(level: LogLevel, messages: readonly string[]): void {
    if (this.#overflowed) return;
    if (this.#lines.length >= MAX_LOG_LINES) {
      this.#overflowed = true;
      this.#lines.push({
        level: "ERROR",
        messages: [
          `Log overflow (maximum ${MAX_LOG_LINES}). Remaining log lines omitted.`,
        ],
        timestampMs: this.#now(),
        isTruncated: false,
      });
      return;
    }
    let length = 0;
    let isTruncated = false;
    const kept: string[] = [];
    for (const message of messages) {
      const room = MAX_LOG_LINE_LENGTH - length;
      if (message.length > room) {
        kept.push(message.slice(0, Math.max(room, 0)));
        isTruncated = true;
        break;
      }
      kept.push(message);
      length += message.length + 1;
    }
    this.#lines.push({
      level,
      messages: kept,
      timestampMs: this.#now(),
      isTruncated,
    });
  }

  /** Appends lines produced elsewhere (a nested call's output), keeping the caps. */
  addLines(lines: readonly LogLine[]): void {
    for (const line of lines) {
      if (this.#lines.length >= MAX_LOG_LINES) {
        this.add(line.level, line.messages);
      } else {
        this.#lines.push(line);
      }
    }
  }

  get lines(): readonly LogLine[] {
    return this.#lines;
  }
}
