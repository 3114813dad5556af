/**
 * Deployment environment variables, kept in the system table `_environment_variables` (one
 * document `{ name, value }` per variable, as Convex keeps them), so they are transactional,
 * durable and reactive like any data. `npx convex env list|get` read them through the
 * `_system/cli/queryEnvironmentVariables` queries; `npx convex env set|remove` change them through
 * `POST /api/update_environment_variables`, which calls `updateEnvironmentVariables` in a
 * transaction and then hands the new set to the runtime (`setEnvironmentVariables`).
 */
import type { Transaction } from "../engine/transaction.js";
import { badRequest } from "../errors/backend-error.js";

export const ENVIRONMENT_VARIABLES_TABLE = "_environment_variables";

/** Convex's limits: names up to 40 characters, values up to 8 KiB. */
const MAX_NAME_LENGTH = 40;
const MAX_VALUE_BYTES = 8 * 1024;
const NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]*$/;

export interface EnvironmentVariable {
  readonly name: string;
  readonly value: string;
}

/** One change of `update_environment_variables`: a null value removes the variable. */
export interface EnvironmentVariableChange {
  readonly name: string;
  readonly value: string | null;
}

/** Every variable, sorted by name. Records a read of the whole table. */
export async function listEnvironmentVariables(
  tx: Transaction,
): Promise<EnvironmentVariable[]> {
  const docs = await readAll(tx);
  return docs
    .map(({ name, value }) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Applies `changes` in order inside `tx`. Throws `BadRequest` (`InvalidEnvironmentVariableName`,
 * `EnvironmentVariableValueTooLarge`) before writing anything when a change is invalid.
 */
export async function updateEnvironmentVariables(
  tx: Transaction,
  changes: readonly EnvironmentVariableChange[],
): Promise<void> {
  for (const change of changes) validateChange(change);
  const existing = new Map(
    (await readAll(tx)).map((doc) => [doc.name, doc.id]),
  );
  for (const { name, value } of changes) {
    const id = existing.get(name);
    if (value === null) {
      if (id !== undefined)
        await tx.delete(id, {
          table: ENVIRONMENT_VARIABLES_TABLE,
          isSystem: true,
        });
      existing.delete(name);
    } else if (id === undefined) {
      existing.set(
        name,
        await tx.insert(
          ENVIRONMENT_VARIABLES_TABLE,
          { name, value },
          { isSystem: true },
        ),
      );
    } else {
      await tx.replace(
        id,
        { name, value },
        { table: ENVIRONMENT_VARIABLES_TABLE, isSystem: true },
      );
    }
  }
}

/** The variables as a plain record, for the runtime's `process.env`. */
export function toEnvironmentRecord(
  variables: readonly EnvironmentVariable[],
): Record<string, string> {
  return Object.fromEntries(variables.map(({ name, value }) => [name, value]));
}

function validateChange({ name, value }: EnvironmentVariableChange): void {
  if (
    name.length === 0 ||
    name.length > MAX_NAME_LENGTH ||
    !NAME_PATTERN.test(name)
  ) {
    throw badRequest(
      "InvalidEnvironmentVariableName",
      `Environment variable names must start with a letter, contain only letters, digits and underscores, and be at most ${MAX_NAME_LENGTH} characters long; received ${JSON.stringify(name)}.`,
    );
  }
  if (value !== null && Buffer.byteLength(value) > MAX_VALUE_BYTES) {
    throw badRequest(
      "EnvironmentVariableValueTooLarge",
      `The value of environment variable ${name} is larger than ${MAX_VALUE_BYTES} bytes.`,
    );
  }
}

async function readAll(
  tx: Transaction,
): Promise<{ id: string; name: string; value: string }[]> {
  const stream = tx.query({
    source: {
      type: "FullTableScan",
      tableName: ENVIRONMENT_VARIABLES_TABLE,
      order: "asc",
    },
    operators: [],
  });
  const docs: { id: string; name: string; value: string }[] = [];
  for (let doc = await stream.next(); doc !== null; doc = await stream.next()) {
    if (typeof doc.name === "string" && typeof doc.value === "string") {
      docs.push({ id: doc._id, name: doc.name, value: doc.value });
    }
  }
  return docs;
}
