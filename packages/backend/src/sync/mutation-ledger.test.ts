import { describe, expect, test } from "vitest";
import { MutationLedger, type MutationOutcome } from "./mutation-ledger.js";

const ok = (ts: bigint): MutationOutcome => ({
  success: true,
  value: null,
  logLines: [],
  ts,
});

describe("MutationLedger", () => {
  test("joins a resend to the running execution and replays the finished one", async () => {
    const ledger = new MutationLedger();
    let runs = 0;
    let finish!: (outcome: MutationOutcome) => void;
    const execute = () => {
      runs++;
      return new Promise<MutationOutcome>((resolve) => (finish = resolve));
    };
    const first = ledger.run({ sessionId: "s", requestId: 1 }, execute);
    const resent = ledger.run({ sessionId: "s", requestId: 1 }, execute);
    finish(ok(5n));
    expect(await first).toEqual(ok(5n));
    expect(await resent).toEqual(ok(5n));
    expect(await ledger.run({ sessionId: "s", requestId: 1 }, execute)).toEqual(
      ok(5n),
    );
    expect(runs).toBe(1);
  });

  test("keys by session and request id", async () => {
    const ledger = new MutationLedger();
    let runs = 0;
    const execute = () => Promise.resolve(ok(BigInt(++runs)));
    await ledger.run({ sessionId: "a", requestId: 1 }, execute);
    await ledger.run({ sessionId: "b", requestId: 1 }, execute);
    await ledger.run({ sessionId: "a", requestId: 2 }, execute);
    expect(runs).toBe(3);
  });

  test("forgets an execution that failed in the infrastructure, so a resend runs again", async () => {
    const ledger = new MutationLedger();
    const key = { sessionId: "s", requestId: 0 };
    await expect(
      ledger.run(key, () => Promise.reject(new Error("down"))),
    ).rejects.toThrow("down");
    expect(await ledger.run(key, () => Promise.resolve(ok(1n)))).toEqual(
      ok(1n),
    );
  });

  test("keeps at most maxPerSession outcomes per session and maxSessions sessions", async () => {
    const ledger = new MutationLedger({ maxSessions: 2, maxPerSession: 2 });
    let runs = 0;
    const execute = () => Promise.resolve(ok(BigInt(++runs)));
    for (const requestId of [1, 2, 3])
      await ledger.run({ sessionId: "s", requestId }, execute);
    await ledger.run({ sessionId: "s", requestId: 1 }, execute);
    expect(runs).toBe(4);
    await ledger.run({ sessionId: "t", requestId: 1 }, execute);
    await ledger.run({ sessionId: "u", requestId: 1 }, execute);
    await ledger.run({ sessionId: "s", requestId: 3 }, execute);
    expect(runs).toBe(7);
  });
});
