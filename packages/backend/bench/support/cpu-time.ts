/**
 * CPU time of processes and threads (Linux `/proc`), for benchmarks that explain a throughput
 * figure by what each operation costs: on a machine whose cores are all busy, operations per
 * second are bounded by cores divided by CPU time per operation.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a `/proc/.../stat` file, in ms (0 when it is gone). */
function statCpuMs(path: string): number {
  try {
    const stat = readFileSync(path, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (
      ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
    );
  } catch {
    return 0;
  }
}

/** CPU time (user + system) of process `pid` and of its main thread so far, in ms. */
export function cpuMsOf(pid: number): { total: number; mainThread: number } {
  return {
    total: statCpuMs(`/proc/${pid}/stat`),
    mainThread: statCpuMs(`/proc/${pid}/task/${pid}/stat`),
  };
}

/** This process's CPU time so far (user + system), in ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
