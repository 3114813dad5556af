/**
 * Inline functions (`t.query(async (ctx) => …)`, `t.run(…)`): one registered query, mutation and
 * action per app whose handler runs a closure looked up by id. The closure's result and thrown
 * error stay in this process (no serialisation), as `convex-test` returns them.
 */
import {
  actionGeneric,
  mutationGeneric,
  queryGeneric,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
} from "convex/server";
import { v } from "convex/values";

/** The module path the inline functions are registered under (not a valid app module name). */
export const INLINE_MODULE = "_hull_inline.js";

/** A closure run as a function of kind `kind`. */
export type InlineHandler<Ctx> = (ctx: Ctx) => unknown;

interface Pending {
  readonly handler: (ctx: never) => unknown;
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | null;
}

const pending = new Map<number, Pending>();
let nextId = 1;

/** Registers `handler`; the returned id is passed as the inline function's `id` argument. */
export function registerInline(handler: (ctx: never) => unknown): {
  id: number;
  take(): Pending["outcome"];
} {
  const id = nextId++;
  const entry: Pending = { handler, outcome: null };
  pending.set(id, entry);
  return {
    id,
    take: () => {
      pending.delete(id);
      return entry.outcome;
    },
  };
}

async function runPending(id: number, ctx: unknown): Promise<null> {
  const entry = pending.get(id);
  if (entry === undefined) throw new Error(`Unknown inline function ${id}`);
  try {
    entry.outcome = { ok: true, value: await entry.handler(ctx as never) };
  } catch (error) {
    entry.outcome = { ok: false, error };
    throw error;
  }
  return null;
}

const args = { id: v.number() };

/** The namespace of `INLINE_MODULE`. */
export const inlineNamespace: Record<string, unknown> = {
  query: queryGeneric({
    args,
    handler: (ctx: GenericQueryCtx<GenericDataModel>, { id }) =>
      runPending(id, ctx),
  }),
  mutation: mutationGeneric({
    args,
    handler: (ctx: GenericMutationCtx<GenericDataModel>, { id }) =>
      runPending(id, ctx),
  }),
  action: actionGeneric({
    args,
    handler: (ctx: GenericActionCtx<GenericDataModel>, { id }) =>
      runPending(id, ctx),
  }),
};
