import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  mastraBackgroundTasksTable,
  mastraCacheListItemsTable,
  mastraCacheTable,
  mastraChannelConfigTable,
  mastraChannelInstallationsTable,
  mastraDocumentsTable,
  mastraMessagesTable,
  mastraObservationalMemoryTable,
  mastraResourcesTable,
  mastraScheduleTriggersTable,
  mastraSchedulesTable,
  mastraScoresTable,
  mastraThreadsTable,
  mastraVectorIndexesTable,
  mastraVectorsTable,
  mastraWorkflowSnapshotsTable,
} from "@mastra/convex/schema";

// The table names are fixed: the adapter's storage mutation addresses them by these names.
export default defineSchema({
  mastra_threads: mastraThreadsTable,
  mastra_messages: mastraMessagesTable,
  mastra_resources: mastraResourcesTable,
  mastra_workflow_snapshots: mastraWorkflowSnapshotsTable,
  mastra_scorers: mastraScoresTable,
  mastra_schedules: mastraSchedulesTable,
  mastra_schedule_triggers: mastraScheduleTriggersTable,
  mastra_channel_installations: mastraChannelInstallationsTable,
  mastra_channel_config: mastraChannelConfigTable,
  mastra_background_tasks: mastraBackgroundTasksTable,
  mastra_observational_memory: mastraObservationalMemoryTable,
  mastra_vector_indexes: mastraVectorIndexesTable,
  mastra_vectors: mastraVectorsTable,
  mastra_cache: mastraCacheTable,
  mastra_cache_list_items: mastraCacheListItemsTable,
  mastra_documents: mastraDocumentsTable,
  // A native vector index for `ConvexNativeVector` (`ctx.vectorSearch`), laid out as the
  // package's `defineMastraNativeVectorTable` lays it out, plus a filter field copied from
  // each vector's metadata.
  docs_vectors: defineTable({
    id: v.string(),
    embedding: v.array(v.float64()),
    metadata: v.optional(v.any()),
    tenantId: v.optional(v.string()),
  })
    .index("by_record_id", ["id"])
    .vectorIndex("by_embedding", {
      vectorField: "embedding",
      dimensions: 4,
      filterFields: ["tenantId"],
    }),
});
