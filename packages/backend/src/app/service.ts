/**
 * A long-running part of the server with a lifecycle (Zero's `services/service.ts`):
 * `run()` starts it and resolves once it has stopped; `stop()` asks it to stop and resolves
 * when it has. `stop()` may be called before, during or after `run()`, more than once.
 */
export interface Service {
  readonly id: string;
  run(): Promise<void>;
  stop(): Promise<void>;
}
