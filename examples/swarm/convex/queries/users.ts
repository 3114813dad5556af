import { v } from "convex/values";
import { query } from "../_generated/server";

/** A user's role and the names of the permissions it grants (the RBAC join). */
export const getPermissions = query({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get(userId);
    if (user === null || user.roleId === undefined)
      return { role: null, permissions: [] };
    const roleId = user.roleId;
    const [role, grants] = await Promise.all([
      ctx.db.get(roleId),
      ctx.db
        .query("rolePermissions")
        .withIndex("by_role", (q) => q.eq("roleId", roleId))
        .collect(),
    ]);
    const permissions = await Promise.all(
      grants.map((grant) => ctx.db.get(grant.permissionId)),
    );
    return {
      role: role?.name ?? null,
      permissions: permissions
        .flatMap((p) => (p === null ? [] : [p.name]))
        .sort(),
    };
  },
});
