/**
 * Replaces the realm's `console` methods so that output inside an invocation becomes that
 * invocation's log lines (Convex's levels and formatting). Output outside any invocation (module
 * import time, host code) goes to `fallback`.
 */
import { realDateNow } from "./originals.js";
import { currentInvocation, type SandboxInvocation } from "./invocation.js";
import { formatLogArgument, type LogLevel } from "./log-collector.js";

export type ConsoleFallback = (level: LogLevel, messages: string[]) => void;

const timers = new WeakMap<SandboxInvocation, Map<string, number>>();
const counters = new WeakMap<SandboxInvocation, Map<string, number>>();

/** Installs the capturing console once per realm; later calls only replace the fallback. */
export function installConsoleCapture(fallback: ConsoleFallback): void {
  state.fallback = fallback;
  if (state.installed) return;
  state.installed = true;
  const target = globalThis.console as unknown as Record<string, unknown>;
  const simple: [string, LogLevel][] = [
    ["log", "LOG"],
    ["info", "INFO"],
    ["warn", "WARN"],
    ["error", "ERROR"],
    ["debug", "DEBUG"],
    ["dir", "LOG"],
    ["table", "LOG"],
  ];
  for (const [method, level] of simple) {
    target[method] = (...args: unknown[]) =>
      emit(level, args.map(formatLogArgument));
  }
  target.trace = (...args: unknown[]) => {
    const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
    emit("LOG", [...args.map(formatLogArgument), `\n${stack}`]);
  };
  target.assert = (condition: unknown, ...args: unknown[]) => {
    if (condition) return;
    emit("ERROR", ["Assertion failed", ...args.map(formatLogArgument)]);
  };
  target.time = (label = "default") => timerStart(String(label));
  target.timeEnd = (label = "default") => timerReport(String(label), [], true);
  target.timeLog = (label = "default", ...args: unknown[]) =>
    timerReport(String(label), args, false);
  target.count = (label = "default") => count(String(label));
  target.countReset = (label = "default") =>
    perInvocation(counters)?.delete(String(label));
}

const state: { installed: boolean; fallback: ConsoleFallback } = {
  installed: false,
  fallback: () => {},
};

function emit(level: LogLevel, messages: string[]): void {
  const invocation = currentInvocation();
  if (invocation === undefined) state.fallback(level, messages);
  else invocation.logs.add(level, messages);
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
