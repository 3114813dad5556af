import { v } from "convex/values";
import { query } from "../_generated/server";

export const getSession = query({
  args: { sessionId: v.id("hitlSessions") },
  handler: async (ctx, { sessionId }) => {
    return await ctx.db.get(sessionId);
  },
});

/** A session's chat, oldest first (the newest 500 messages). */
export const getMessages = query({
  args: { sessionId: v.id("hitlSessions") },
  handler: async (ctx, { sessionId }) => {
    const newest = await ctx.db
      .query("hitlMessages")
      .withIndex("by_session_time", (q) => q.eq("sessionId", sessionId))
      .order("desc")
      .take(500);
    return newest.reverse();
  },
});

/** Sessions that need a human: active and waiting ones, newest first. */
export const listOpen = query({
  args: {},
  handler: async (ctx) => {
    const [active, waiting] = await Promise.all(
      (["active", "waiting"] as const).map((state) =>
        ctx.db
          .query("hitlSessions")
          .withIndex("by_state", (q) => q.eq("state", state))
          .order("desc")
          .take(50),
      ),
    );
    return [...active!, ...waiting!].sort((a, b) => b.updatedAt - a.updatedAt);
  },
});
