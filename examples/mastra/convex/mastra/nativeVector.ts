import {
  mastraNativeVectorAction,
  mastraNativeVectorMutation,
  mastraNativeVectorQuery,
} from "@mastra/convex/server";

// The default paths `ConvexNativeVector` calls: `mastra/nativeVector:query|read|write`.
export const query = mastraNativeVectorAction;
export const read = mastraNativeVectorQuery;
export const write = mastraNativeVectorMutation;
