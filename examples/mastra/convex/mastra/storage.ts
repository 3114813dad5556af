import { mastraStorage } from "@mastra/convex/server";

/** The one public mutation `ConvexStore` calls (`mastra/storage:handle`) for every operation. */
export const handle = mastraStorage;
