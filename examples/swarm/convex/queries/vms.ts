import { query } from "../_generated/server";

/** Every VM, by VM number: the dashboard grid. */
export const getAll = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("vms").withIndex("by_vm_id").take(500);
  },
});
