import { afterEach, describe, expect, test } from "vitest";
import {
  decode,
  FakeBackend,
  type Frame,
  RecordingTransport,
} from "./fake-backend.test-support.js";
import { encodeTs } from "./protocol.js";
import { SyncServer } from "./sync-server.js";
import {
  CLIENT_INACTIVITY_TIMEOUT_MS,
  PING_INTERVAL_MS,
  type SyncSession,
} from "./sync-session.js";
import { TRANSITION_CHUNK_CHARS } from "./transition-frames.js";

const servers: SyncServer[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

function setup(backend = new FakeBackend()) {
  const server = new SyncServer(backend.deps());
  servers.push(server);
  return { backend, server };
}

interface Client {
  session: SyncSession;
  transport: RecordingTransport;
  send(message: object): Promise<void>;
}

async function connect(
  server: SyncServer,
  sessionId = "s1",
  connectionCount = 0,
): Promise<Client> {
  const transport = new RecordingTransport();
  const session = server.createSession(transport);
  const client: Client = {
    session,
    transport,
    send: (message) => session.handleFrame(JSON.stringify(message)),
  };
  await client.send({
    type: "Connect",
    sessionId,
    connectionCount,
    lastCloseReason: null,
    clientTs: 0,
  });
  return client;
}

/** Lets the hub finish every pass and every queued session task. */
async function settle(server: SyncServer): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await server.hub.idle();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function add(
  queryId: number,
  udfPath: string,
  args: object = {},
  journal?: string,
) {
  return {
    type: "Add",
    queryId,
    udfPath,
    args: [args],
    ...(journal === undefined ? {} : { journal }),
  };
}

function modify(baseVersion: number, ...modifications: object[]) {
  return {
    type: "ModifyQuerySet",
    baseVersion,
    newVersion: baseVersion + 1,
    modifications,
  };
}

function mods(frame: Frame | undefined): Frame[] {
  return (frame?.modifications ?? []) as Frame[];
}

describe("SyncSession", () => {
  test("answers a first ModifyQuerySet with a Transition from the zero version", async () => {
    const { backend, server } = setup();
    backend.write("a", 1);
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:get", { k: "a" })));
    await settle(server);
    const [transition] = c.transport.ofType("Transition");
    expect(transition).toMatchObject({
      startVersion: { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" },
      endVersion: { querySet: 1, identity: 0, ts: encodeTs(backend.latestTs) },
      modifications: [
        {
          type: "QueryUpdated",
          queryId: 0,
          value: 1,
          logLines: [],
          journal: null,
        },
      ],
    });
  });

  test("reports query errors as QueryFailed with errorData", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:fail")));
    await settle(server);
    expect(mods(c.transport.last())).toEqual([
      {
        type: "QueryFailed",
        queryId: 0,
        errorMessage: "Uncaught ConvexError: nope",
        logLines: ["[LOG] 'failing'"],
        errorData: { code: 1 },
        journal: null,
      },
    ]);
  });

  test("reports a query the runner could not run as QueryFailed and retries it after a commit", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:boom")));
    await settle(server);
    expect(mods(c.transport.last())).toMatchObject([
      { type: "QueryFailed", queryId: 0, errorMessage: "disk on fire" },
    ]);
    backend.write("anything", 1);
    await settle(server);
    expect(backend.runs.get("kv:boom")).toBe(2);
  });

  test("pushes a Transition with only the changed query when another client writes", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    await c.send(
      modify(0, add(0, "kv:get", { k: "a" }), add(1, "kv:get", { k: "b" })),
    );
    await settle(server);
    c.transport.take();
    backend.write("a", "new");
    await settle(server);
    const frames = c.transport.take();
    expect(frames).toHaveLength(1);
    expect(mods(frames[0])).toEqual([
      {
        type: "QueryUpdated",
        queryId: 0,
        value: "new",
        logLines: [],
        journal: null,
      },
    ]);
  });

  test("sends nothing when a commit does not touch any subscribed read set", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:get", { k: "a" })));
    await settle(server);
    const runs = backend.runs.get("kv:get");
    c.transport.take();
    backend.write("zzz", 1);
    await settle(server);
    expect(c.transport.take()).toEqual([]);
    expect(backend.runs.get("kv:get")).toBe(runs);
  });

  test("follows a MutationResponse with a Transition at or past its commit ts", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:get", { k: "m" })));
    await settle(server);
    c.transport.take();
    await c.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "kv:set",
      args: [{ k: "m", v: 7 }],
    });
    await settle(server);
    const [response, transition] = c.transport.take();
    expect(response).toMatchObject({
      type: "MutationResponse",
      requestId: 0,
      success: true,
      result: null,
    });
    expect(transition?.type).toBe("Transition");
    const endTs = decode((transition!.endVersion as { ts: string }).ts);
    expect(endTs >= decode(response!.ts as string)).toBe(true);
    expect(mods(transition)).toEqual([
      {
        type: "QueryUpdated",
        queryId: 0,
        value: 7,
        logLines: [],
        journal: null,
      },
    ]);
  });

  test("sends an empty Transition after a mutation that changed no subscribed query", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "kv:set",
      args: [{ k: "x", v: 1 }],
    });
    await settle(server);
    const [response, transition] = c.transport.take();
    expect(response?.type).toBe("MutationResponse");
    expect(transition).toMatchObject({ type: "Transition", modifications: [] });
  });

  test("still resolves a mutation that committed nothing but reported a later ts", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "kv:noop",
      args: [{}],
    });
    await settle(server);
    const [response, transition] = c.transport.take();
    expect(response).toMatchObject({
      type: "MutationResponse",
      ts: encodeTs(backend.latestTs),
    });
    expect(transition).toMatchObject({
      type: "Transition",
      endVersion: { ts: encodeTs(backend.latestTs) },
    });
  });

  test("answers a failed mutation without a ts and with its errorData", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Mutation",
      requestId: 3,
      udfPath: "kv:nope",
      args: [{}],
    });
    await settle(server);
    expect(c.transport.take()).toEqual([
      {
        type: "MutationResponse",
        requestId: 3,
        success: false,
        result: "Could not find public function for 'kv:nope'.",
        logLines: [],
      },
    ]);
  });

  test("answers actions without a Transition", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Action",
      requestId: 1,
      udfPath: "kv:echo",
      args: [{ x: 41 }],
    });
    await settle(server);
    expect(c.transport.take()).toEqual([
      {
        type: "ActionResponse",
        requestId: 1,
        success: true,
        result: 41,
        logLines: ["[LOG] 'echo'"],
      },
    ]);
  });

  test("shares one execution between identical subscriptions of different sockets", async () => {
    const { backend, server } = setup();
    const clients = await Promise.all(
      [1, 2, 3].map((n) => connect(server, `s${n}`)),
    );
    for (const c of clients)
      await c.send(modify(0, add(0, "kv:get", { k: "a" })));
    await settle(server);
    expect(backend.runs.get("kv:get")).toBe(1);
    backend.write("a", 2);
    await settle(server);
    expect(backend.runs.get("kv:get")).toBe(2);
    for (const c of clients)
      expect(mods(c.transport.last())).toMatchObject([
        { queryId: 0, value: 2 },
      ]);
    expect(server.hub.entryCount).toBe(1);
  });

  test("shares an auth-free result across identities until a re-run reads auth", async () => {
    const { backend, server } = setup();
    const alice = await connect(server, "alice");
    const bob = await connect(server, "bob");
    await alice.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:alice",
      baseVersion: 0,
    });
    await bob.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:bob",
      baseVersion: 0,
    });
    await alice.send(modify(0, add(0, "kv:greeting")));
    await settle(server);
    await bob.send(modify(0, add(0, "kv:greeting")));
    await settle(server);
    expect(backend.runs.get("kv:greeting")).toBe(1);
    expect(mods(bob.transport.last())).toMatchObject([{ value: "hello" }]);

    backend.write("personal", true);
    await settle(server);
    expect(mods(alice.transport.last())).toMatchObject([
      { value: "hello alice" },
    ]);
    expect(mods(bob.transport.last())).toMatchObject([{ value: "hello bob" }]);
    expect(server.hub.entryCount).toBe(2);
  });

  test("drops a shared execution whose creator left once it starts reading auth", async () => {
    const { backend, server } = setup();
    const alice = await connect(server, "alice");
    const bob = await connect(server, "bob");
    await alice.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:alice",
      baseVersion: 0,
    });
    await bob.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:bob",
      baseVersion: 0,
    });
    await alice.send(modify(0, add(0, "kv:greeting")));
    await settle(server);
    await bob.send(modify(0, add(0, "kv:greeting")));
    await settle(server);
    await alice.send(modify(1, { type: "Remove", queryId: 0 }));
    backend.write("personal", true);
    await settle(server);
    expect(mods(bob.transport.last())).toMatchObject([{ value: "hello bob" }]);
    expect(server.hub.entryCount).toBe(1);
  });

  test("never shares an admin's execution with a non-admin subscriber", async () => {
    const { server } = setup();
    const admin = await connect(server, "admin");
    await admin.send({
      type: "Authenticate",
      tokenType: "Admin",
      value: "admin-key",
      baseVersion: 0,
    });
    await admin.send(modify(0, add(0, "kv:secret")));
    await settle(server);
    const anonymous = await connect(server, "anonymous");
    await anonymous.send(modify(0, add(0, "kv:secret")));
    await settle(server);
    expect(mods(admin.transport.last())).toMatchObject([
      { type: "QueryUpdated", value: "secret" },
    ]);
    expect(mods(anonymous.transport.last())).toMatchObject([
      { type: "QueryFailed" },
    ]);
    expect(server.hub.entryCount).toBe(2);
  });

  test("removes a query with QueryRemoved and drops the execution with its last subscriber", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:get", { k: "a" })));
    await settle(server);
    await c.send(modify(1, { type: "Remove", queryId: 0 }));
    await settle(server);
    expect(c.transport.last()).toMatchObject({
      endVersion: { querySet: 2 },
      modifications: [{ type: "QueryRemoved", queryId: 0 }],
    });
    expect(server.hub.entryCount).toBe(0);
  });

  test("confirms Authenticate with an identity bump and re-runs auth-dependent queries", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:get", { k: "a" }), add(1, "kv:whoami")));
    await settle(server);
    c.transport.take();
    await c.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:alice",
      baseVersion: 0,
    });
    await settle(server);
    const [transition] = c.transport.take();
    expect(transition).toMatchObject({
      startVersion: { identity: 0 },
      endVersion: { identity: 1, querySet: 1 },
      modifications: [
        {
          type: "QueryUpdated",
          queryId: 1,
          value: { subject: "alice", tokenIdentifier: "test|alice" },
        },
      ],
    });
  });

  test("rejects a bad user token with AuthError and closes", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Authenticate",
      tokenType: "User",
      value: "bad",
      baseVersion: 0,
    });
    expect(c.transport.take()).toEqual([
      {
        type: "AuthError",
        error: "Could not verify token",
        baseVersion: 0,
        authUpdateAttempted: true,
      },
    ]);
    expect(c.transport.closed).not.toBeNull();
    expect(c.session.phase).toBe("closed");
  });

  test("ends a user session with AuthError (no update attempted) once its token expires", async () => {
    const { server, backend } = setup();
    const c = await connect(server);
    const expS = Math.floor(backend.clock.nowMs / 1000) + 60;
    const claims = Buffer.from(JSON.stringify({ exp: expS })).toString(
      "base64url",
    );
    await c.send({
      type: "Authenticate",
      tokenType: "User",
      value: `good:alice.${claims}.sig`,
      baseVersion: 0,
    });
    await settle(server);
    c.transport.take();
    server.heartbeat(expS * 1000 - 1);
    expect(c.transport.closed).toBeNull();
    c.transport.take();
    server.heartbeat(expS * 1000);
    expect(c.transport.take()).toEqual([
      {
        type: "AuthError",
        error: "Token expired",
        baseVersion: 1,
        authUpdateAttempted: false,
      },
    ]);
    expect(c.session.phase).toBe("closed");
  });

  test("runs queries as the impersonated identity for a valid admin key", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Authenticate",
      tokenType: "Admin",
      value: "admin-key",
      baseVersion: 0,
      impersonating: { issuer: "i", subject: "u" },
    });
    await c.send(modify(0, add(0, "kv:whoami")));
    await settle(server);
    expect(c.transport.last()).toMatchObject({
      endVersion: { identity: 1, querySet: 1 },
      modifications: [
        { value: { issuer: "i", subject: "u", tokenIdentifier: "i|u" } },
      ],
    });
  });

  test.each([
    ["a malformed frame", "{nope"],
    ["a message before Connect", null],
    [
      "a wrong ModifyQuerySet baseVersion",
      JSON.stringify(modify(4, add(0, "kv:list"))),
    ],
    [
      "a wrong Authenticate baseVersion",
      JSON.stringify({
        type: "Authenticate",
        tokenType: "None",
        baseVersion: 3,
      }),
    ],
  ])(
    "answers %s with a FatalError and a close, without throwing",
    async (_name, frame) => {
      const { server } = setup();
      const transport = new RecordingTransport();
      const session = server.createSession(transport);
      if (frame === null) {
        await session.handleFrame(JSON.stringify(modify(0)));
      } else {
        await session.handleFrame(
          JSON.stringify({
            type: "Connect",
            sessionId: "s",
            connectionCount: 0,
            lastCloseReason: null,
          }),
        );
        await session.handleFrame(frame);
      }
      expect(transport.last()?.type).toBe("FatalError");
      expect(transport.closed).not.toBeNull();
      await session.handleFrame(JSON.stringify(modify(0)));
      expect(transport.ofType("FatalError")).toHaveLength(1);
    },
  );

  test("closes with 1011 InternalServerError when a mutation fails in the infrastructure", async () => {
    const { server } = setup();
    const c = await connect(server);
    await c.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "kv:boom",
      args: [{}],
    });
    await settle(server);
    expect(c.transport.closed).toEqual({
      code: 1011,
      reason: "InternalServerError",
    });
  });

  test("runs a mutation resent after a reconnect only once and still resolves it", async () => {
    const { backend, server } = setup();
    let open!: () => void;
    backend.gate = new Promise((resolve) => (open = resolve));
    const first = await connect(server, "same");
    const mutation = {
      type: "Mutation",
      requestId: 5,
      udfPath: "kv:set",
      args: [{ k: "once", v: 1 }],
    };
    await first.send(mutation);
    server.endSession(first.session);
    const second = await connect(server, "same", 1);
    await second.send(modify(0, add(0, "kv:get", { k: "once" })));
    await second.send(mutation);
    open();
    await settle(server);
    expect(backend.mutationLog).toHaveLength(1);
    const response = second.transport.ofType("MutationResponse")[0];
    expect(response).toMatchObject({ requestId: 5, success: true });
    const after = second.transport.frames.slice(
      second.transport.frames.indexOf(response!) + 1,
    );
    expect(
      after.some(
        (f) =>
          f.type === "Transition" &&
          decode((f.endVersion as { ts: string }).ts) >=
            decode(response!.ts as string),
      ),
    ).toBe(true);
    await second.send(mutation);
    await settle(server);
    expect(backend.mutationLog).toHaveLength(1);
    expect(second.transport.ofType("MutationResponse")[1]).toEqual(response);
  });

  test("does not replay a recorded mutation to another principal on the same session id", async () => {
    const { backend, server } = setup();
    const mutation = {
      type: "Mutation",
      requestId: 9,
      udfPath: "kv:set",
      args: [{ k: "p", v: 1 }],
    };
    const first = await connect(server, "shared-id");
    await first.send(mutation);
    await settle(server);
    const other = await connect(server, "shared-id", 1);
    await other.send({
      type: "Authenticate",
      tokenType: "User",
      value: "good:mallory",
      baseVersion: 0,
    });
    await other.send(mutation);
    await settle(server);
    expect(backend.mutationLog).toHaveLength(2);
  });

  test("re-runs a paginated query with the journal of its previous run", async () => {
    const { backend, server } = setup();
    backend.write("a", 1);
    backend.write("b", 1);
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:page")));
    await settle(server);
    expect(mods(c.transport.last())).toMatchObject([
      { value: ["a", "b"], journal: "2" },
    ]);
    backend.write("0", 1);
    await settle(server);
    expect(mods(c.transport.last())).toMatchObject([
      { value: ["0", "a"], journal: "2" },
    ]);
    const resumed = await connect(server, "other");
    await resumed.send(modify(0, add(0, "kv:page", {}, "1")));
    await settle(server);
    expect(mods(resumed.transport.last())).toMatchObject([
      { value: ["0"], journal: "1" },
    ]);
  });

  test("splits a large Transition into TransitionChunks the client can reassemble", async () => {
    const { server } = setup();
    const c = await connect(server);
    const raw: string[] = [];
    const send = c.transport.send.bind(c.transport);
    c.transport.send = (text) => {
      raw.push(text);
      send(text);
    };
    await c.send(
      modify(0, add(0, "kv:big", { n: TRANSITION_CHUNK_CHARS * 2 })),
    );
    await settle(server);
    expect(raw.length).toBe(3);
    expect(
      raw.every((t) => (JSON.parse(t) as Frame).type === "TransitionChunk"),
    ).toBe(true);
    expect(mods(c.transport.last())[0]?.value).toHaveLength(
      TRANSITION_CHUNK_CHARS * 2,
    );
  });

  test("re-runs every subscription after a deploy and sends only what changed", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:version"), add(1, "kv:get", { k: "a" })));
    await settle(server);
    c.transport.take();
    backend.codeVersion = 2;
    server.rerunAllQueries();
    await settle(server);
    const frames = c.transport.take();
    expect(frames).toHaveLength(1);
    expect(mods(frames[0])).toEqual([
      {
        type: "QueryUpdated",
        queryId: 0,
        value: 2,
        logLines: [],
        journal: null,
      },
    ]);
  });

  test("a query running when a deploy lands is run again with the new code", async () => {
    const backend = new FakeBackend();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const deps = backend.deps();
    const server = new SyncServer({
      ...deps,
      functions: {
        // Computes the result with the code of its start, and finishes after the deploy.
        run: async (request) => {
          const result = await backend.run(request);
          if (request.udfPath === "kv:version") await held;
          return result;
        },
      },
    });
    servers.push(server);
    const c = await connect(server);
    await c.send(modify(0, add(0, "kv:version")));
    await new Promise((resolve) => setImmediate(resolve));
    backend.codeVersion = 2;
    server.rerunAllQueries();
    release();
    await settle(server);
    const values = c.transport
      .ofType("Transition")
      .flatMap((frame) => mods(frame).map((m) => m.value));
    expect(values).toEqual([2]);
  });

  test("closes a client that sent nothing for the inactivity timeout", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    server.heartbeat(backend.clock.nowMs + CLIENT_INACTIVITY_TIMEOUT_MS);
    expect(c.transport.closed).toEqual({
      code: 1000,
      reason: "ClientInactive",
    });
    expect(c.session.phase).toBe("closed");
  });

  test.each(["", "x"])(
    "reassembles TransitionChunks cut inside a surrogate pair (prefix %j)",
    async (prefix) => {
      const { server } = setup();
      const c = await connect(server);
      const unit = "\u{1F600}";
      await c.send(
        modify(
          0,
          add(0, "kv:big", { n: TRANSITION_CHUNK_CHARS, unit, prefix }),
        ),
      );
      await settle(server);
      expect(mods(c.transport.last())[0]?.value).toBe(
        prefix + unit.repeat(TRANSITION_CHUNK_CHARS),
      );
    },
  );

  test("sends a Ping only after the idle interval", async () => {
    const { backend, server } = setup();
    const c = await connect(server);
    server.heartbeat(backend.clock.nowMs + PING_INTERVAL_MS - 1);
    expect(c.transport.frames).toEqual([]);
    server.heartbeat(backend.clock.nowMs + PING_INTERVAL_MS);
    expect(c.transport.frames).toEqual([{ type: "Ping" }]);
  });
});
