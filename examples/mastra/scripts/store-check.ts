/**
 * Exercises the published `ConvexStore` against a deployment of this example, through Mastra's
 * own storage API: threads, messages, resources and workflow runs are created, listed page by
 * page, updated, deleted and cleared. Every step asserts what Mastra's contract promises.
 */
import assert from "node:assert/strict";
import { ConvexStore } from "@mastra/convex";
import type { MastraDBMessage } from "@mastra/core/agent";
import type { WorkflowRunState } from "@mastra/core/workflows";

export interface StoreCheckOptions {
  /** The deployment URL. */
  readonly url: string;
  /** An admin key: `ConvexStore` authenticates its calls with it. */
  readonly adminKey: string;
  /** Prefixes every id, so that several checks can share a deployment. */
  readonly prefix?: string;
}

/** The domains checked and the number of storage calls made. */
export interface StoreCheckReport {
  readonly domains: readonly string[];
  readonly calls: number;
}

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function message(
  id: string,
  threadId: string,
  resourceId: string,
  index: number,
): MastraDBMessage {
  return {
    id,
    threadId,
    resourceId,
    role: index % 2 === 0 ? "user" : "assistant",
    createdAt: new Date(T0 + index * 1000),
    content: { format: 2, parts: [{ type: "text", text: `message ${index}` }] },
  };
}

function snapshot(runId: string, index: number): WorkflowRunState {
  return {
    runId,
    status: index === 0 ? "success" : "running",
    value: { index: String(index) },
    context: {},
    serializedStepGraph: [],
    activePaths: [],
    activeStepsPath: {},
    suspendedPaths: {},
    resumeLabels: {},
    waitingPaths: {},
    timestamp: T0 + index * 1000,
  };
}

/** Runs every check; rejects with an assertion error at the first broken promise. */
export async function checkConvexStore(
  options: StoreCheckOptions,
): Promise<StoreCheckReport> {
  const prefix = options.prefix ?? `check-${Date.now()}`;
  const store = new ConvexStore({
    id: "hull",
    deploymentUrl: options.url,
    adminAuthToken: options.adminKey,
  });
  await store.init();
  const memory = await store.getStore("memory");
  const workflows = await store.getStore("workflows");
  assert.ok(
    memory !== undefined && workflows !== undefined,
    "memory and workflows domains",
  );
  let calls = 0;
  const call = <T>(promise: Promise<T>) => {
    calls += 1;
    return promise;
  };

  // Threads: five for one resource, listed two per page, one renamed, one deleted.
  const resourceId = `${prefix}-user`;
  const threadIds = [0, 1, 2, 3, 4].map((i) => `${prefix}-thread-${i}`);
  for (const [i, id] of threadIds.entries()) {
    const at = new Date(T0 + i * DAY_MS);
    await call(
      memory.saveThread({
        thread: {
          id,
          resourceId,
          title: `Thread ${i}`,
          metadata: { i },
          createdAt: at,
          updatedAt: at,
        },
      }),
    );
  }
  const pages = [];
  for (let page = 0; page < 3; page++) {
    pages.push(
      await call(
        memory.listThreads({ filter: { resourceId }, perPage: 2, page }),
      ),
    );
  }
  assert.deepEqual(
    pages.map((p) => p.threads.length),
    [2, 2, 1],
  );
  assert.deepEqual(
    pages.map((p) => p.hasMore),
    [true, true, false],
  );
  assert.equal(pages[0]!.total, 5);
  assert.equal(
    new Set(pages.flatMap((p) => p.threads.map((t) => t.id))).size,
    5,
  );
  const renamed = await call(
    memory.updateThread({
      id: threadIds[0]!,
      title: "Renamed",
      metadata: { renamed: true },
    }),
  );
  assert.equal(renamed.title, "Renamed");
  assert.equal(
    (await call(memory.getThreadById({ threadId: threadIds[0]! })))?.title,
    "Renamed",
  );

  // Messages: six in one thread, listed four per page, one updated, one deleted.
  const threadId = threadIds[0]!;
  const messageIds = [0, 1, 2, 3, 4, 5].map((i) => `${prefix}-message-${i}`);
  await call(
    memory.saveMessages({
      messages: messageIds.map((id, i) => message(id, threadId, resourceId, i)),
    }),
  );
  const first = await call(
    memory.listMessages({ threadId, perPage: 4, page: 0 }),
  );
  const second = await call(
    memory.listMessages({ threadId, perPage: 4, page: 1 }),
  );
  assert.equal(first.total, 6);
  assert.deepEqual([first.messages.length, second.messages.length], [4, 2]);
  assert.deepEqual([first.hasMore, second.hasMore], [true, false]);
  await call(
    memory.updateMessages({
      messages: [
        {
          id: messageIds[1]!,
          content: {
            format: 2,
            parts: [{ type: "text", text: "message 1, edited" }],
            metadata: { edited: true },
          },
        },
      ],
    }),
  );
  const [edited] = (
    await call(memory.listMessagesById({ messageIds: [messageIds[1]!] }))
  ).messages;
  assert.deepEqual(edited?.content.metadata, { edited: true });
  await call(memory.deleteMessages([messageIds[5]!]));
  assert.equal(
    (await call(memory.listMessages({ threadId, perPage: false }))).total,
    5,
  );

  // Deleting a thread removes it and its messages.
  await call(memory.deleteThread({ threadId: threadIds[4]! }));
  assert.equal(
    await call(memory.getThreadById({ threadId: threadIds[4]! })),
    null,
  );
  assert.equal(
    (await call(memory.listThreads({ filter: { resourceId }, perPage: false })))
      .total,
    4,
  );

  // Resources: working memory saved, read back and updated.
  const now = new Date(T0);
  await call(
    memory.saveResource({
      resource: {
        id: resourceId,
        workingMemory: "# Notes",
        metadata: {},
        createdAt: now,
        updatedAt: now,
      },
    }),
  );
  await call(
    memory.updateResource({
      resourceId,
      workingMemory: "# Notes\n- likes tea",
    }),
  );
  const resource = await call(memory.getResourceById({ resourceId }));
  assert.equal(resource?.workingMemory, "# Notes\n- likes tea");

  // Workflow runs: three snapshots, listed two per page, one loaded, one deleted.
  const workflowName = `${prefix}-workflow`;
  const runIds = [0, 1, 2].map((i) => `${prefix}-run-${i}`);
  for (const [i, runId] of runIds.entries()) {
    await call(
      workflows.persistWorkflowSnapshot({
        workflowName,
        runId,
        resourceId,
        snapshot: snapshot(runId, i),
      }),
    );
  }
  const runsPage = await call(
    workflows.listWorkflowRuns({ workflowName, perPage: 2, page: 0 }),
  );
  assert.equal(runsPage.total, 3);
  assert.equal(runsPage.runs.length, 2);
  const loaded = await call(
    workflows.loadWorkflowSnapshot({ workflowName, runId: runIds[1]! }),
  );
  assert.deepEqual(loaded?.value, { index: "1" });
  assert.equal(
    (
      await call(
        workflows.getWorkflowRunById({ runId: runIds[2]!, workflowName }),
      )
    )?.runId,
    runIds[2],
  );
  await call(
    workflows.deleteWorkflowRunById({ runId: runIds[2]!, workflowName }),
  );
  assert.equal(
    (await call(workflows.listWorkflowRuns({ workflowName }))).total,
    2,
  );

  // Clearing empties every table of a domain.
  await call(memory.dangerouslyClearAll());
  await call(workflows.dangerouslyClearAll());
  assert.equal(
    (await call(memory.listThreads({ filter: { resourceId }, perPage: false })))
      .total,
    0,
  );
  assert.equal(await call(memory.getResourceById({ resourceId })), null);
  assert.equal(
    (await call(workflows.listWorkflowRuns({ workflowName }))).total,
    0,
  );

  return {
    domains: ["threads", "messages", "resources", "workflow runs"],
    calls,
  };
}
