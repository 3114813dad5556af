/**
 * Runs user code in this process: the same sandbox code as a worker, without isolation. Used by
 * the in-process test harness (issue 7). Nothing can stop a synchronous infinite loop here; user
 * time is still checked at every syscall.
 */
import type { ModuleEnvironment } from "./module-store.js";
import { setSandboxEnvironment } from "./sandbox/determinism.js";
import {
  SandboxExecutor,
  type HttpInvocationOutcome,
  type HttpInvocationSpec,
  type InvocationOutcome,
  type InvocationSpec,
} from "./sandbox/executor.js";
import {
  invocationStorage,
  type SyscallChannel,
} from "./sandbox/invocation.js";
import { LoadedModules } from "./sandbox/loaded-modules.js";
import { prepareRealm } from "./sandbox/realm.js";
import type { SandboxHost } from "./sandbox-host.js";

export class InProcessSandbox implements SandboxHost {
  readonly #executor: SandboxExecutor;

  private constructor(executor: SandboxExecutor) {
    this.#executor = executor;
  }

  /** Imports the modules in `dir` into this process. Throws `ModuleImportError` on failure. */
  static async start(options: {
    readonly deploymentDir: string;
    readonly modulePaths: readonly string[];
    readonly environments: Readonly<Record<string, ModuleEnvironment>>;
    readonly environmentVariables: Readonly<Record<string, string>>;
  }): Promise<InProcessSandbox> {
    const tracker = prepareRealm({
      watchdog: null,
      consoleFallback: null,
    });
    setSandboxEnvironment(options.environmentVariables);
    const modules = await LoadedModules.load(
      options.deploymentDir,
      options.modulePaths,
    );
    return new InProcessSandbox(
      new SandboxExecutor(modules, tracker, options.deploymentDir),
    );
  }

  /**
   * A sandbox over modules already imported into this process (the test harness). Installs the
   * realm's globals; `userCodeDir` is where stack traces are made relative to, if anywhere.
   */
  static fromModules(
    modules: LoadedModules,
    userCodeDir: string | null,
  ): InProcessSandbox {
    const tracker = prepareRealm({ watchdog: null, consoleFallback: null });
    return new InProcessSandbox(
      new SandboxExecutor(modules, tracker, userCodeDir),
    );
  }

  run(
    spec: InvocationSpec,
    channel: SyscallChannel,
  ): Promise<InvocationOutcome> {
    return this.#executor.run(spec, outsideInvocation(channel));
  }

  runHttp(
    spec: HttpInvocationSpec,
    channel: SyscallChannel,
  ): Promise<HttpInvocationOutcome> {
    return this.#executor.runHttp(spec, outsideInvocation(channel));
  }

  setEnvironment(vars: Readonly<Record<string, string>>): void {
    setSandboxEnvironment(vars);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Host code must not run inside the invocation's async context: it would see frozen time, the
 * seeded generator and refused timers. The channel's calls leave that context.
 */
function outsideInvocation(channel: SyscallChannel): SyscallChannel {
  return {
    asyncSyscall: (op, argsJson) =>
      invocationStorage.exit(() => channel.asyncSyscall(op, argsJson)),
    syncSyscall: (op, argsJson) =>
      invocationStorage.exit(() => channel.syncSyscall(op, argsJson)),
    notify: (op, argsJson) =>
      invocationStorage.exit(() => channel.notify(op, argsJson)),
  };
}
