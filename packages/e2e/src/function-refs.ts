import { makeFunctionReference } from "convex/server";

/*
 * Function references by path ("messages:list"), as an app's generated `api` would give them;
 * the tests run against apps whose generated code lives in a temp dir.
 */

/** A public or internal query, by path. */
export const queryRef = (path: string) => makeFunctionReference<"query">(path);
/** A mutation, by path. */
export const mutationRef = (path: string) =>
  makeFunctionReference<"mutation">(path);
/** An action, by path. */
export const actionRef = (path: string) =>
  makeFunctionReference<"action">(path);
