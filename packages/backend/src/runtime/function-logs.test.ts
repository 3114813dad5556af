import { describe, expect, test } from "vitest";
import { FunctionLogs, type FunctionExecutionLog } from "./function-logs.js";

function entry(
  timestampMs: number,
  identifier = "m.js:f",
): FunctionExecutionLog {
  return {
    udfType: "Query",
    identifier,
    timestampMs,
    executionTimeMs: 1,
    logLines: [],
    error: null,
    requestId: "",
  };
}

describe("FunctionLogs", () => {
  test("returns entries after a cursor and the next cursor", () => {
    const logs = new FunctionLogs();
    logs.publish(entry(10, "a"));
    logs.publish(entry(20, "b"));
    const { entries, newCursor } = logs.since(10);
    expect(entries.map((e) => e.identifier)).toEqual(["b"]);
    expect(newCursor).toBe(20);
    expect(logs.since(20).entries).toEqual([]);
  });

  test("keeps timestamps strictly increasing so no entry is skipped", () => {
    const logs = new FunctionLogs();
    logs.publish(entry(10, "a"));
    const first = logs.since(0);
    logs.publish(entry(10, "b"));
    expect(
      logs.since(first.newCursor).entries.map((e) => e.identifier),
    ).toEqual(["b"]);
  });

  test("drops the oldest entries past its capacity", () => {
    const logs = new FunctionLogs(2);
    for (const t of [1, 2, 3]) logs.publish(entry(t, String(t)));
    expect(logs.since(0).entries.map((e) => e.identifier)).toEqual(["2", "3"]);
  });

  test("wakes a waiting poller on a new entry or on abort", async () => {
    const logs = new FunctionLogs();
    const waiting = logs.waitForEntries(0, new AbortController().signal);
    logs.publish(entry(5));
    await waiting;
    const controller = new AbortController();
    const aborted = logs.waitForEntries(100, controller.signal);
    controller.abort();
    await aborted;
  });
});
