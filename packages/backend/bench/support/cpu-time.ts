/**
 * CPU time of processes and threads (Linux `/proc`), for benchmarks that explain a throughput
 * figure by what each operation costs: on a machine whose cores are all busy, operations per
 * second are bounded by cores divided by CPU time per operation.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The fields of a `/proc/.../stat` file after the command name (state first), or null. */
function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** utime + stime of a `/proc/.../stat` file, in ms (0 when it is gone). */
function statCpuMs(path: string): number {
  return fieldsCpuMs(statFields(path));
}

function fieldsCpuMs(fields: string[] | null): number {
  if (fields === null) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU time (user + system) of process `pid` and of its main thread so far, in ms. */
export function cpuMsOf(pid: number): { total: number; mainThread: number } {
  return {
    total: statCpuMs(`/proc/${pid}/stat`),
    mainThread: statCpuMs(`/proc/${pid}/task/${pid}/stat`),
  };
}

/**
 * CPU time so far of process `pid` and its living children, in ms: a PostgreSQL server is its
 * postmaster and the backends it forked. A child that exited takes its time with it.
 */
export function serverCpuMs(pid: number): number {
  let total = statCpuMs(`/proc/${pid}/stat`);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(`/proc/${entry}/stat`);
    if (fields !== null && Number(fields[1]) === pid)
      total += fieldsCpuMs(fields);
  }
  return total;
}

/** This process's CPU time so far (user + system), in ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
