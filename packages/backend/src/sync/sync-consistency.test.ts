import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { JsonValue } from "../values/value.js";
import {
  decode,
  FakeBackend,
  type Frame,
  RecordingTransport,
} from "./fake-backend.test-support.js";
import { SyncServer } from "./sync-server.js";
import type { SyncSession } from "./sync-session.js";

const KEYS = ["a", "b", "c"];
/** Subscribes `kv:greeting`, which reads auth only while the key "personal" is set. */
const GREETING = "greeting";

type Op =
  | { type: "subscribe"; client: number; query: number; key: string | null }
  | { type: "unsubscribe"; client: number; query: number }
  | { type: "write"; key: string; value: number }
  | { type: "mutate"; client: number; key: string; value: number }
  | { type: "tick"; turns: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    type: fc.constant("subscribe" as const),
    client: fc.nat(2),
    query: fc.nat(3),
    key: fc.option(fc.constantFrom(...KEYS, GREETING), { nil: null }),
  }),
  fc.record({
    type: fc.constant("unsubscribe" as const),
    client: fc.nat(2),
    query: fc.nat(3),
  }),
  fc.record({
    type: fc.constant("write" as const),
    key: fc.constantFrom(...KEYS, "personal"),
    value: fc.nat(9),
  }),
  fc.record({
    type: fc.constant("mutate" as const),
    client: fc.nat(2),
    key: fc.constantFrom(...KEYS),
    value: fc.nat(9),
  }),
  fc.record({ type: fc.constant("tick" as const), turns: fc.nat(3) }),
);

/** A client's view, rebuilt from Transitions exactly as convex-js's RemoteQuerySet does. */
class ViewingClient {
  readonly transport = new RecordingTransport();
  readonly session: SyncSession;
  readonly view = new Map<number, JsonValue>();
  /** queryId → key it reads (null: the full list), as of the last ModifyQuerySet sent. */
  readonly specs = new Map<number, string | null>();
  /**
   * `specs` as of each query set version sent: a Transition may still carry queries whose Remove
   * (or re-Add with other args) the server has not processed yet, so results are checked against
   * the query set of the Transition's end version.
   */
  readonly specsAt = new Map<number, Map<number, string | null>>([
    [0, new Map()],
  ]);
  querySetVersion = 0;
  readonly subject: string | null;
  requestId = 0;
  readonly #backend: FakeBackend;

  constructor(server: SyncServer, backend: FakeBackend, n: number) {
    this.#backend = backend;
    this.session = server.createSession(this.transport);
    const record = this.transport.send.bind(this.transport);
    this.transport.send = (text) => {
      record(text);
      const frame = JSON.parse(text) as Frame;
      if (frame.type === "Transition") this.#apply(frame);
    };
    void this.session.handleFrame(
      JSON.stringify({
        type: "Connect",
        sessionId: `s${n}`,
        connectionCount: 0,
        lastCloseReason: null,
      }),
    );
    // Clients 0 and 1 are signed-in users, client 2 stays anonymous.
    this.subject = n < 2 ? `u${n}` : null;
    if (this.subject !== null) {
      void this.session.handleFrame(
        JSON.stringify({
          type: "Authenticate",
          tokenType: "User",
          value: `good:${this.subject}`,
          baseVersion: 0,
        }),
      );
    }
  }

  #apply(frame: Frame): void {
    for (const m of frame.modifications as Frame[]) {
      if (m.type === "QueryRemoved") this.view.delete(m.queryId as number);
      else this.view.set(m.queryId as number, m.value ?? null);
    }
    const end = frame.endVersion as { ts: string; querySet: number };
    const ts = decode(end.ts);
    const specs = this.specsAt.get(end.querySet);
    expect([...this.view.keys()].sort()).toEqual(
      [...(specs?.keys() ?? [])].sort(),
    );
    // Every result in the view must hold at the Transition's single timestamp.
    for (const [queryId, value] of this.view) {
      expect(value).toEqual(this.expected(queryId, ts, specs));
    }
  }

  expected(
    queryId: number,
    ts: bigint,
    specs: ReadonlyMap<number, string | null> = this.specs,
  ): JsonValue {
    const key = specs.get(queryId);
    if (key === undefined)
      throw new Error(`query ${queryId} is not subscribed`);
    if (key === GREETING) {
      const personal = this.#backend.valueAt("personal", ts) !== null;
      return personal ? `hello ${this.subject ?? "nobody"}` : "hello";
    }
    if (key !== null) return this.#backend.valueAt(key, ts);
    return this.#backend
      .keysAt(ts)
      .map((k) => [k, this.#backend.valueAt(k, ts)]);
  }

  modify(modification: object): void {
    this.specsAt.set(this.querySetVersion + 1, new Map(this.specs));
    void this.session.handleFrame(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: this.querySetVersion,
        newVersion: ++this.querySetVersion,
        modifications: [modification],
      }),
    );
  }
}

async function run(ops: Op[]): Promise<void> {
  const backend = new FakeBackend();
  const server = new SyncServer(backend.deps());
  try {
    const clients = [0, 1, 2].map((n) => new ViewingClient(server, backend, n));
    for (const op of ops) await apply(op, clients, backend);
    for (let i = 0; i < 6; i++) {
      await server.hub.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const c of clients) {
      expect([...c.view.keys()].sort()).toEqual([...c.specs.keys()].sort());
      for (const queryId of c.specs.keys()) {
        expect(c.view.get(queryId)).toEqual(
          c.expected(queryId, backend.latestTs),
        );
      }
      const responses = c.transport.ofType("MutationResponse").length;
      expect(responses).toBe(c.requestId);
    }
  } finally {
    server.close();
  }
}

async function apply(
  op: Op,
  clients: ViewingClient[],
  backend: FakeBackend,
): Promise<void> {
  switch (op.type) {
    case "subscribe": {
      const c = clients[op.client]!;
      c.specs.set(op.query, op.key);
      const add =
        op.key === null
          ? { type: "Add", queryId: op.query, udfPath: "kv:list", args: [{}] }
          : op.key === GREETING
            ? {
                type: "Add",
                queryId: op.query,
                udfPath: "kv:greeting",
                args: [{}],
              }
            : {
                type: "Add",
                queryId: op.query,
                udfPath: "kv:get",
                args: [{ k: op.key }],
              };
      c.modify(add);
      return;
    }
    case "unsubscribe": {
      const c = clients[op.client]!;
      if (!c.specs.delete(op.query)) return;
      c.modify({ type: "Remove", queryId: op.query });
      return;
    }
    case "write":
      backend.write(op.key, op.value);
      return;
    case "mutate": {
      const c = clients[op.client]!;
      void c.session.handleFrame(
        JSON.stringify({
          type: "Mutation",
          requestId: c.requestId++,
          udfPath: "kv:set",
          args: [{ k: op.key, v: op.value }],
        }),
      );
      return;
    }
    case "tick":
      for (let i = 0; i < op.turns; i++)
        await new Promise((resolve) => setImmediate(resolve));
      return;
  }
}

describe("SyncSession with QueryHub (consistency)", () => {
  test("every Transition shows all of a client's queries as of its one end timestamp", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops)),
      {
        numRuns: 60,
        examples: [
          // Two users share an auth-free result, then a write makes it read auth.
          [
            [
              { type: "subscribe", client: 0, query: 0, key: GREETING },
              { type: "tick", turns: 3 },
              { type: "subscribe", client: 1, query: 0, key: GREETING },
              { type: "tick", turns: 3 },
              { type: "write", key: "personal", value: 1 },
            ],
          ],
          // A Transition still carries query 0 when the client has already sent its Remove.
          [
            [
              { type: "subscribe", client: 2, query: 1, key: "c" },
              { type: "subscribe", client: 2, query: 0, key: "c" },
              { type: "unsubscribe", client: 2, query: 0 },
            ],
          ],
        ],
      },
    );
  });
});
