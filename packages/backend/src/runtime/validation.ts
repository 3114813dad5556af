/**
 * Argument and return validation against the validators a function exports (`exportArgs()`,
 * `exportReturns()`), with Convex's error wording. The `convex` package validates nothing
 * itself; the host does, before and after running the function.
 */
import type { Catalog } from "../engine/catalog.js";
import {
  parseValidatorJson,
  validateValue,
  type ValidationContext,
  type ValidatorJson,
} from "../values/validator.js";
import type { Value } from "../values/value.js";
import type { AnalyzedFunction } from "./app-analysis.js";

/** A function's validators, parsed once at activation. `null` means "no validation". */
export interface FunctionValidators {
  readonly args: ValidatorJson | null;
  readonly returns: ValidatorJson | null;
}

/**
 * The table lookups `v.id("t")` checks need, from a catalog (a transaction's, which changes as
 * it creates tables, or the latest).
 */
export function catalogValidationContext(
  catalog: () => Catalog,
): ValidationContext {
  return new CatalogValidationContext(catalog);
}

/**
 * A class rather than an object of arrow functions: tsx keeps function names, which costs a
 * `defineProperty` per named closure, per call.
 */
class CatalogValidationContext implements ValidationContext {
  readonly #catalog: () => Catalog;

  constructor(catalog: () => Catalog) {
    this.#catalog = catalog;
  }

  tableNumberOf(name: string): number | undefined {
    return this.#catalog().tableByName(name)?.number;
  }

  tableNameOf(number: number): string | undefined {
    return this.#catalog().tableByNumber(number)?.name;
  }
}

/**
 * Parses the JSON texts analysis recorded. `{"type":"any"}` args need no check.
 *
 * @throws Error when a validator is malformed (analysis produced it from the package, so this
 *   signals a bug or a corrupted manifest).
 */
export function parseFunctionValidators(
  fn: AnalyzedFunction,
): FunctionValidators {
  const args = parseValidatorJson(JSON.parse(fn.args) as unknown);
  const returns =
    fn.returns === null
      ? null
      : parseValidatorJson(JSON.parse(fn.returns) as unknown);
  return { args: args.type === "any" ? null : args, returns };
}

/**
 * Checks the arguments object. Returns null when valid, else the error message the caller
 * receives (`ArgumentValidationError: …`).
 */
export function checkArgs(
  validators: FunctionValidators,
  args: Value,
  context: ValidationContext,
): string | null {
  if (validators.args === null) return null;
  const error = validateValue(validators.args, args, context);
  return error === null ? null : `ArgumentValidationError: ${error}`;
}

/** Checks a return value (`undefined` already turned into null). */
export function checkReturns(
  validators: FunctionValidators,
  value: Value,
  context: ValidationContext,
): string | null {
  if (validators.returns === null) return null;
  const error = validateValue(validators.returns, value, context);
  return error === null ? null : `ReturnsValidationError: ${error}`;
}
