import { BackendError } from "../errors/backend-error.js";
import type { EnvironmentVariableChange } from "../http/http-deps.js";
import type { Persistence } from "../storage/persistence.js";

/** The persistence global holding the variables (a JSON object of strings). */
export const ENVIRONMENT_GLOBAL_KEY = "hull.environment_variables";

// Convex's limits: names up to 40 characters, values up to 8 KiB, 100 variables.
const MAX_NAME_LENGTH = 40;
const MAX_VALUE_BYTES = 8 * 1024;
const MAX_VARIABLES = 100;
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The deployment's environment variables (`npx convex env`): kept in a persistence global,
 * cached in memory, and pushed to `onChange` (the runner's `process.env`) after every durable
 * update. Updates apply one at a time, all changes of one update together.
 */
export class EnvironmentVariables {
  readonly #persistence: Persistence;
  readonly #onChange: (vars: Readonly<Record<string, string>>) => void;
  #vars: Readonly<Record<string, string>>;
  #updating: Promise<unknown> = Promise.resolve();

  private constructor(
    persistence: Persistence,
    vars: Readonly<Record<string, string>>,
    onChange: (vars: Readonly<Record<string, string>>) => void,
  ) {
    this.#persistence = persistence;
    this.#vars = vars;
    this.#onChange = onChange;
  }

  /** Loads the stored variables and hands them to `onChange` once. */
  static async load(
    persistence: Persistence,
    onChange: (vars: Readonly<Record<string, string>>) => void,
  ): Promise<EnvironmentVariables> {
    const stored = await persistence.reader().getGlobal(ENVIRONMENT_GLOBAL_KEY);
    const vars = stored === null ? {} : (stored as Record<string, string>);
    onChange(vars);
    return new EnvironmentVariables(persistence, vars, onChange);
  }

  /** The current variables. */
  all(): Readonly<Record<string, string>> {
    return this.#vars;
  }

  /**
   * Applies `changes` (null value = remove) durably. Throws `BadRequest` naming the first
   * invalid name or value, or when the count would pass the limit; nothing changes then.
   */
  update(changes: readonly EnvironmentVariableChange[]): Promise<void> {
    const run = this.#updating.then(() => this.#update(changes));
    this.#updating = run.catch(() => undefined);
    return run;
  }

  /**
   * Re-reads the stored variables (another process may have changed them) and hands them to
   * `onChange` when they differ from the cached ones.
   */
  reload(): Promise<void> {
    const run = this.#updating.then(async () => {
      const stored = await this.#persistence
        .reader()
        .getGlobal(ENVIRONMENT_GLOBAL_KEY);
      const vars = stored === null ? {} : (stored as Record<string, string>);
      if (JSON.stringify(vars) === JSON.stringify(this.#vars)) return;
      this.#vars = vars;
      this.#onChange(vars);
    });
    this.#updating = run.catch(() => undefined);
    return run;
  }

  async #update(changes: readonly EnvironmentVariableChange[]): Promise<void> {
    const next: Record<string, string> = { ...this.#vars };
    for (const { name, value } of changes) {
      assertName(name);
      if (value === null) {
        delete next[name];
      } else {
        assertValue(name, value);
        next[name] = value;
      }
    }
    if (Object.keys(next).length > MAX_VARIABLES) {
      throw invalid(
        `A deployment can have at most ${MAX_VARIABLES} environment variables.`,
      );
    }
    await this.#persistence.writeGlobal(ENVIRONMENT_GLOBAL_KEY, next);
    this.#vars = next;
    this.#onChange(next);
  }
}

function assertName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
    throw invalid(
      `Invalid environment variable name "${name}": use up to ${MAX_NAME_LENGTH} letters, digits and underscores, not starting with a digit.`,
    );
  }
}

function assertValue(name: string, value: string): void {
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) {
    throw invalid(
      `The value of environment variable "${name}" is larger than ${MAX_VALUE_BYTES} bytes.`,
    );
  }
}

function invalid(message: string): BackendError {
  return new BackendError("BadRequest", "InvalidEnvironmentVariable", message);
}
