/**
 * Deploy-time analysis: imports a candidate app's modules in a throwaway worker and describes
 * them (`AppAnalysis`). Nothing the running deployment uses is touched; the worker is terminated
 * afterwards, so import-time side effects and runaway code die with it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { badRequest } from "../errors/backend-error.js";
import type { Logger } from "../shared/logger.js";
import type { AppAnalysis } from "./app-analysis.js";
import { writeModuleFiles } from "./module-files.js";
import type { ModuleEnvironment, ModuleSource } from "./module-store.js";
import { realSetTimeout } from "./sandbox/originals.js";
import type { WorkerToHost } from "./sandbox/worker-protocol.js";
import { spawnSandboxWorker } from "./worker-spawn.js";

export interface AnalyzeOptions {
  /** Deployment environment variables, visible to module top-level code (e.g. `auth.config.js`). */
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** How long importing every module may take (default 30 s). */
  readonly timeoutMs?: number | undefined;
  /** Heap limit of the analysis worker (default 512 MB). */
  readonly memoryMb?: number | undefined;
  /** Where to lay the files out (a temporary directory by default, removed afterwards). */
  readonly scratchDir?: string | undefined;
}

/** Import and evaluation of a whole app should take well under this. */
const DEFAULT_ANALYZE_TIMEOUT_MS = 30_000;
const DEFAULT_ANALYZE_MEMORY_MB = 512;

/**
 * Imports every module (`_deps/` chunks through their importers) and analyses the entry modules.
 *
 * @throws BackendError BadRequest `ModuleAnalysisError` with Convex's style of message
 *   (`Failed to analyze messages.js: Uncaught Error: boom …`) when a module throws at import
 *   time, cannot be resolved, exports an invalid validator, or the import runs past the time or
 *   memory limit; `InvalidModulePath` for a path outside `convex/`.
 */
export async function analyzeModules(
  modules: readonly ModuleSource[],
  options: AnalyzeOptions,
): Promise<AppAnalysis> {
  const scratch =
    options.scratchDir ?? (await mkdtemp(join(tmpdir(), "hull-analyze-")));
  try {
    const dir = await writeModuleFiles(scratch, modules);
    const environments: Record<string, ModuleEnvironment> = {};
    for (const module of modules)
      environments[module.path] = module.environment;
    return await runAnalysisWorker({
      deploymentDir: dir,
      modulePaths: modules
        .map((m) => m.path)
        .filter((p) => !p.startsWith("_deps/")),
      environments,
      environmentVariables: options.environmentVariables,
      memoryMb: options.memoryMb ?? DEFAULT_ANALYZE_MEMORY_MB,
      timeoutMs: options.timeoutMs ?? DEFAULT_ANALYZE_TIMEOUT_MS,
      logger: options.logger,
    });
  } finally {
    if (options.scratchDir === undefined)
      await rm(scratch, { recursive: true, force: true });
  }
}

function runAnalysisWorker(options: {
  deploymentDir: string;
  modulePaths: string[];
  environments: Record<string, ModuleEnvironment>;
  environmentVariables: Readonly<Record<string, string>>;
  memoryMb: number;
  timeoutMs: number;
  logger: Logger;
}): Promise<AppAnalysis> {
  const { worker } = spawnSandboxWorker({
    mode: "analyze",
    deploymentDir: options.deploymentDir,
    modulePaths: options.modulePaths,
    environments: options.environments,
    environmentVariables: options.environmentVariables,
    memoryMb: options.memoryMb,
  });
  return new Promise<AppAnalysis>((resolve, reject) => {
    const fail = (message: string) =>
      reject(badRequest("ModuleAnalysisError", message));
    const timer = realSetTimeout(
      () =>
        fail(
          `Analyzing the modules took longer than ${options.timeoutMs / 1000}s.`,
        ),
      options.timeoutMs,
    );
    worker.on("message", (batch: WorkerToHost[]) => {
      for (const message of batch) handle(message);
    });
    const handle = (message: WorkerToHost) => {
      if (message.type === "analysis") resolve(message.analysis);
      else if (message.type === "loadFailed") {
        fail(
          message.path === null
            ? message.message
            : `Failed to analyze ${message.path}: ${message.message}`,
        );
      } else if (message.type === "log") {
        options.logger.info(
          `[${message.level}] ${message.messages.join(" ")}`,
          { source: "analysis" },
        );
      }
    };
    worker.on("error", (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      fail(
        code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `Analyzing the modules ran out of memory (maximum memory usage: ${options.memoryMb} MB).`
          : `Failed to analyze the modules: ${error.message}`,
      );
    });
    worker.on("exit", () => fail("The analysis worker stopped unexpectedly."));
    worker.once("exit", () => clearTimeout(timer));
  }).finally(() => worker.terminate());
}
