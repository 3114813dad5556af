import { v } from "convex/values";
import { internalQuery } from "../_generated/server";

/** A secret's value for a tenant (or the global one). Internal: values never reach clients. */
export const getValue = internalQuery({
  args: { type: v.string(), tenantId: v.optional(v.string()) },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { type, tenantId }) => {
    const secret = await ctx.db
      .query("secrets")
      .withIndex("by_type_tenant", (q) =>
        q.eq("type", type).eq("tenantId", tenantId),
      )
      .first();
    return secret?.value ?? null;
  },
});
