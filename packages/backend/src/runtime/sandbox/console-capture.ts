/**
 * Replaces the realm's `console` methods so that output inside an invocation becomes that
 * invocation's log lines (Convex's levels and formatting). Output outside any invocation (module
 * import time, host code) goes to the fallback, or, without one, to the original console.
 */
import { realDateNow } from "./originals.js";
import { currentInvocation, type SandboxInvocation } from "./invocation.js";
import { formatLogArgument, type LogLevel } from "./log-collector.js";

/** Where output outside invocations goes; null keeps the realm's own console. */
export type ConsoleFallback =
  ((level: LogLevel, messages: string[]) => void) | null;

type ConsoleMethod = (...args: unknown[]) => void;

const timers = new WeakMap<SandboxInvocation, Map<string, number>>();
const counters = new WeakMap<SandboxInvocation, Map<string, number>>();

const CAPTURED: readonly [string, LogLevel][] = [
  ["log", "LOG"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["dir", "LOG"],
  ["table", "LOG"],
  ["trace", "LOG"],
  ["assert", "ERROR"],
  ["time", "INFO"],
  ["timeEnd", "INFO"],
  ["timeLog", "INFO"],
  ["count", "INFO"],
  ["countReset", "INFO"],
];

/** Installs the capturing console once per realm; later calls only replace the fallback. */
export function installConsoleCapture(fallback: ConsoleFallback): void {
  state.fallback = fallback;
  if (state.installed) return;
  state.installed = true;
  const target = globalThis.console as unknown as Record<string, ConsoleMethod>;
  for (const [method, level] of CAPTURED) {
    const original = target[method]?.bind(globalThis.console) ?? (() => {});
    const captured = capture(method, level);
    target[method] = (...args: unknown[]) => {
      if (currentInvocation() !== undefined) captured(...args);
      else if (state.fallback === null) original(...args);
      else state.fallback(level, args.map(formatLogArgument));
    };
  }
}

const state: { installed: boolean; fallback: ConsoleFallback } = {
  installed: false,
  fallback: null,
};

/** The in-invocation behaviour of one console method. */
function capture(method: string, level: LogLevel): ConsoleMethod {
  switch (method) {
    case "trace":
      return (...args) => {
        const stack = (new Error().stack ?? "").split("\n").slice(3).join("\n");
        emit(level, [...args.map(formatLogArgument), `\n${stack}`]);
      };
    case "assert":
      return (condition, ...args) => {
        if (!condition)
          emit(level, ["Assertion failed", ...args.map(formatLogArgument)]);
      };
    case "time":
      return (label = "default") => timerStart(String(label));
    case "timeEnd":
      return (label = "default") => timerReport(String(label), [], true);
    case "timeLog":
      return (label = "default", ...args) =>
        timerReport(String(label), args, false);
    case "count":
      return (label = "default") => count(String(label));
    case "countReset":
      return (label = "default") =>
        perInvocation(counters)?.delete(String(label));
    default:
      return (...args) => emit(level, args.map(formatLogArgument));
  }
}

function emit(level: LogLevel, messages: string[]): void {
  currentInvocation()?.logs.add(level, messages);
}

function perInvocation<T>(
  map: WeakMap<SandboxInvocation, Map<string, T>>,
): Map<string, T> | null {
  const invocation = currentInvocation();
  if (invocation === undefined) return null;
  let entries = map.get(invocation);
  if (entries === undefined) {
    entries = new Map();
    map.set(invocation, entries);
  }
  return entries;
}

function timerStart(label: string): void {
  const entries = perInvocation(timers);
  if (entries === null) return;
  if (entries.has(label)) {
    emit("WARN", [`Timer '${label}' already exists`]);
    return;
  }
  entries.set(label, realDateNow());
}

function timerReport(label: string, args: unknown[], end: boolean): void {
  const entries = perInvocation(timers);
  const start = entries?.get(label);
  if (entries === null || start === undefined) {
    emit("WARN", [`Timer '${label}' does not exist`]);
    return;
  }
  if (end) entries.delete(label);
  emit("INFO", [
    `${label}: ${realDateNow() - start}ms`,
    ...args.map(formatLogArgument),
  ]);
}

function count(label: string): void {
  const entries = perInvocation(counters);
  if (entries === null) return;
  const next = (entries.get(label) ?? 0) + 1;
  entries.set(label, next);
  emit("INFO", [`${label}: ${next}`]);
}
