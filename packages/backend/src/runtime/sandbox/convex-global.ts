/**
 * The `Convex` global the `convex` package calls (`syscall`, `asyncSyscall`, `jsSyscall`), routed
 * to the calling invocation. The sandbox answers what it can without the host (query-stream ids,
 * the snapshot timestamp) so those stay synchronous and cheap; everything else goes through the
 * invocation's `SyscallChannel`.
 */
import { Buffer } from "node:buffer";
import {
  currentInvocation,
  SyscallError,
  type SandboxInvocation,
  type SyscallReply,
} from "./invocation.js";
import type { UserTimeTracker } from "./user-time.js";

/** The host's `queryStreamNext` answer once a stream is exhausted (it closes the stream itself). */
export const QUERY_DONE_JSON = '{"value":null,"done":true}';

/**
 * Hull's own notification (not a Convex syscall): the sandbox answered a stream's last
 * `queryStreamNext` itself, so the host finishes the stream as that call would have.
 */
export const QUERY_STREAM_FINISH = "hull/queryStreamFinish";

/** Convex's message for a function that used up its time. */
export function timeoutError(limitMs: number): Error {
  return new Error(
    `Function execution timed out (maximum duration: ${limitMs / 1000}s)`,
  );
}

/** Installs `globalThis.Convex`. `tracker` accounts the time user code runs between syscalls. */
export function installConvexGlobal(tracker: UserTimeTracker): void {
  const convex = {
    syscall(op: string, argsJson: string): string {
      const invocation = requireInvocation(op);
      throwIfOverBudget(invocation);
      return syncSyscall(invocation, op, argsJson);
    },
    asyncSyscall(op: string, argsJson: string): Promise<string> {
      const invocation = currentInvocation();
      if (invocation === undefined) return Promise.reject(importTimeError(op));
      try {
        throwIfOverBudget(invocation);
      } catch (e) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- throwIfOverBudget throws Errors
        return Promise.reject(e as Error);
      }
      return asyncSyscall(invocation, op, argsJson).then(
        (reply) => {
          tracker.enter(invocation);
          if (reply.logLines !== undefined)
            invocation.logs.addLines(reply.logLines);
          return reply.result;
        },
        (error: unknown) => {
          tracker.enter(invocation);
          if (error instanceof SyscallError && error.logLines !== undefined) {
            invocation.logs.addLines(error.logLines);
          }
          throw error;
        },
      );
    },
    jsSyscall(op: string, args: Record<string, unknown>): unknown {
      requireInvocation(op);
      if (op === "storage/storeBlob") {
        return storeBlob((o, json) => convex.asyncSyscall(o, json), args);
      }
      if (op === "storage/getBlob") {
        return getBlob((o, json) => convex.asyncSyscall(o, json), args);
      }
      throw new Error(`Unknown JS syscall ${op}`);
    },
  };
  Object.defineProperty(globalThis, "Convex", {
    value: convex,
    configurable: true,
  });
}

type AsyncSyscall = (op: string, argsJson: string) => Promise<string>;

/**
 * `storage.store(blob)` in actions: the blob's bytes go to the host as base64 (`1.0/storageStore`),
 * since a `Blob` cannot cross the worker boundary as one.
 */
async function storeBlob(
  asyncSyscall: AsyncSyscall,
  args: Record<string, unknown>,
): Promise<unknown> {
  const blob = args["blob"];
  if (!(blob instanceof Blob)) {
    throw new Error(
      "store() expects a Blob. If you are trying to store a Request, `await request.blob()` will give you the correct input.",
    );
  }
  const options = args["options"] as { sha256?: unknown } | undefined;
  const bytes = Buffer.from(await blob.arrayBuffer());
  const result = await asyncSyscall(
    "1.0/storageStore",
    JSON.stringify({
      blob: bytes.toString("base64"),
      contentType: blob.type,
      sha256: options?.sha256,
    }),
  );
  return JSON.parse(result) as unknown;
}

/** `storage.get(id)` in actions: the host's base64 answer as a `Blob`, or null. */
async function getBlob(
  asyncSyscall: AsyncSyscall,
  args: Record<string, unknown>,
): Promise<Blob | null> {
  const result = await asyncSyscall(
    "1.0/storageGet",
    JSON.stringify({ storageId: args["storageId"] }),
  );
  const file = JSON.parse(result) as {
    blob: string;
    contentType: string | null;
  } | null;
  if (file === null) return null;
  return new Blob([Buffer.from(file.blob, "base64")], {
    type: file.contentType ?? "",
  });
}

function importTimeError(op: string): Error {
  return new Error(
    `Can't use ${op} at import time: database access and function calls are only allowed inside Convex functions.`,
  );
}

function requireInvocation(op: string): SandboxInvocation {
  const invocation = currentInvocation();
  if (invocation === undefined) throw importTimeError(op);
  return invocation;
}

function throwIfOverBudget(invocation: SandboxInvocation): void {
  if (
    invocation.failure === null &&
    invocation.usedMs > invocation.timeLimitMs
  ) {
    invocation.failure = timeoutError(invocation.timeLimitMs);
  }
  if (invocation.failure !== null) throw invocation.failure;
}

function syncSyscall(
  invocation: SandboxInvocation,
  op: string,
  argsJson: string,
): string {
  switch (op) {
    case "1.0/queryStream": {
      const args = JSON.parse(argsJson) as { query: unknown };
      const queryId = invocation.nextQueryId++;
      invocation.queries.set(queryId, {
        queryJson: args.query,
        state: "new",
        atEndAfter: 0,
      });
      return JSON.stringify({ queryId });
    }
    case "1.0/queryCleanup": {
      const { queryId } = JSON.parse(argsJson) as { queryId: number };
      const query = invocation.queries.get(queryId);
      invocation.queries.delete(queryId);
      if (query?.state === "started" || query?.state === "atEnd")
        invocation.channel.notify(op, argsJson);
      return JSON.stringify(query !== undefined);
    }
    case "1.0/getSnapshotTs":
      if (invocation.snapshotTsJson === null)
        throw new Error(
          "getSnapshotTs is only available in queries and mutations",
        );
      return invocation.snapshotTsJson;
    case "1.0/db/normalizeId":
      try {
        return invocation.channel.syncSyscall(op, argsJson);
      } catch (e) {
        // User code sees a plain Error, as from the real runtime's sync ops.
        throw new Error(e instanceof Error ? e.message : String(e));
      }
    default:
      throw new Error(`Unknown operation ${op}`);
  }
}

async function asyncSyscall(
  invocation: SandboxInvocation,
  op: string,
  argsJson: string,
): Promise<SyscallReply> {
  const number = ++invocation.asyncSyscallsIssued;
  const alone = invocation.asyncSyscallsInFlight === 0;
  invocation.asyncSyscallsInFlight++;
  try {
    if (op !== "1.0/queryStreamNext")
      return await invocation.channel.asyncSyscall(op, argsJson);
    return await queryStreamNext(invocation, argsJson, number, alone);
  } finally {
    invocation.asyncSyscallsInFlight--;
  }
}

/**
 * `1.0/queryStreamNext`. When the host said the stream is at its end and the invocation has
 * issued no syscall since (so nothing was written in between), the answer is known: the sandbox
 * gives it and tells the host to finish the stream (its whole interval counts as read), which
 * saves a round trip per stream read to its end (`unique()`, `collect()`). `alone`: no other
 * syscall was in flight when this one was issued, so the host's answer reflects every write.
 */
async function queryStreamNext(
  invocation: SandboxInvocation,
  argsJson: string,
  number: number,
  alone: boolean,
): Promise<SyscallReply> {
  const { queryId } = JSON.parse(argsJson) as { queryId: number };
  const query = invocation.queries.get(queryId);
  if (query === undefined)
    throw new SyscallError("in-progress query not found");
  if (query.state === "done") return { result: QUERY_DONE_JSON };
  if (query.state === "atEnd") {
    if (query.atEndAfter === number - 1) {
      query.state = "done";
      invocation.channel.notify(QUERY_STREAM_FINISH, argsJson);
      return { result: QUERY_DONE_JSON };
    }
    query.state = "started";
  }
  const hostArgs =
    query.state === "new"
      ? JSON.stringify({ queryId, query: query.queryJson })
      : argsJson;
  query.state = "started";
  const reply = await invocation.channel.asyncSyscall(
    "1.0/queryStreamNext",
    hostArgs,
  );
  if (reply.result === QUERY_DONE_JSON) query.state = "done";
  else if (reply.atEnd === true && alone && query.state === "started") {
    query.state = "atEnd";
    query.atEndAfter = number;
  }
  return reply;
}
