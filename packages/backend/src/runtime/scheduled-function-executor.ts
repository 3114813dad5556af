/**
 * Runs the scheduler's jobs and crons through a `FunctionRunner` (`model/scheduler.ts` decides
 * when; this decides how): with no identity, internal functions allowed, the job id visible to
 * `getRequestMetadata` and to the self-cancel check, and the scheduler's bookkeeping written in
 * a mutation's own transaction. Every run lands in the function log like any other execution.
 */
import type {
  ScheduledFunctionExecutor,
  ScheduledRunResult,
} from "../model/scheduler.js";
import { convexToJson } from "../values/json.js";
import type { FunctionRunner } from "./function-runner.js";
import { parseUdfPath } from "./udf-path.js";

/** The executor the server's `Scheduler` uses. */
export function runnerScheduledExecutor(
  runner: Pick<FunctionRunner, "manifest" | "run">,
): ScheduledFunctionExecutor {
  return {
    udfType(udfPath) {
      const { module, name } = parseUdfPath(udfPath);
      const analyzed = runner.manifest?.analysis.modules[module];
      return analyzed?.functions.find((f) => f.name === name)?.udfType ?? null;
    },
    async run(run, beforeCommit): Promise<ScheduledRunResult> {
      const result = await runner.run({
        udfPath: run.udfPath,
        args: convexToJson(run.args),
        identity: null,
        allowInternal: true,
        beforeCommit: run.udfType === "mutation" ? beforeCommit : undefined,
        scheduledJobId: run.jobId,
      });
      return result.success
        ? { success: true }
        : { success: false, error: result.errorMessage };
    },
  };
}
