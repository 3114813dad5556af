import { mastraCache } from "@mastra/convex/server";

/** The mutation `ConvexServerCache` calls (`mastra/cache:handle`). */
export const handle = mastraCache;
