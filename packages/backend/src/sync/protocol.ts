/**
 * The sync protocol's wire types and codecs, named exactly as convex-js names them
 * (`convex/src/browser/sync/protocol.ts`), the client being the judge.
 *
 * Timestamps are `bigint` here and travel as base64 (standard alphabet, padded) of their 8
 * little-endian bytes, as convex-js `u64ToLong`/`longToU64` expect. Values (args, results,
 * `errorData`) stay convex-JSON (`JsonValue`): this layer never decodes them.
 */
import { badRequest } from "../errors/backend-error.js";
import type { Timestamp } from "../storage/persistence.js";
import type { JsonValue } from "../values/value.js";

export type QueryId = number;
export type QuerySetVersion = number;
export type RequestId = number;
export type IdentityVersion = number;
/** Opaque per-query state the client keeps and sends back (pagination end cursors). */
export type QueryJournal = string | null;
export type LogLines = string[];

/** The identity attributes an admin may impersonate (convex-js `UserIdentityAttributes`). */
export type UserIdentityAttributes = { readonly [key: string]: JsonValue };

export type Connect = {
  type: "Connect";
  sessionId: string;
  connectionCount: number;
  lastCloseReason: string | null;
  maxObservedTimestamp?: Timestamp | undefined;
  clientTs?: number | undefined;
};

export type AddQuery = {
  type: "Add";
  queryId: QueryId;
  udfPath: string;
  args: JsonValue[];
  journal?: QueryJournal | undefined;
  componentPath?: string | undefined;
};

export type RemoveQuery = { type: "Remove"; queryId: QueryId };

export type QuerySetModification = {
  type: "ModifyQuerySet";
  baseVersion: QuerySetVersion;
  newVersion: QuerySetVersion;
  modifications: (AddQuery | RemoveQuery)[];
};

export type MutationRequest = {
  type: "Mutation";
  requestId: RequestId;
  udfPath: string;
  args: JsonValue[];
  componentPath?: string | undefined;
};

export type ActionRequest = {
  type: "Action";
  requestId: RequestId;
  udfPath: string;
  args: JsonValue[];
  componentPath?: string | undefined;
};

export type AdminAuthentication = {
  type: "Authenticate";
  tokenType: "Admin";
  value: string;
  baseVersion: IdentityVersion;
  impersonating?: UserIdentityAttributes | undefined;
};

export type Authenticate =
  | AdminAuthentication
  | {
      type: "Authenticate";
      tokenType: "User";
      value: string;
      baseVersion: IdentityVersion;
    }
  | { type: "Authenticate"; tokenType: "None"; baseVersion: IdentityVersion };

export type Event = { type: "Event"; eventType: string; event: JsonValue };

export type ClientMessage =
  | Connect
  | Authenticate
  | QuerySetModification
  | MutationRequest
  | ActionRequest
  | Event;

export type StateVersion = {
  querySet: QuerySetVersion;
  ts: Timestamp;
  identity: IdentityVersion;
};

export type StateModification =
  | {
      type: "QueryUpdated";
      queryId: QueryId;
      value: JsonValue;
      logLines: LogLines;
      journal: QueryJournal;
    }
  | {
      type: "QueryFailed";
      queryId: QueryId;
      errorMessage: string;
      logLines: LogLines;
      errorData?: JsonValue | undefined;
      journal: QueryJournal;
    }
  | { type: "QueryRemoved"; queryId: QueryId };

export type Transition = {
  type: "Transition";
  startVersion: StateVersion;
  endVersion: StateVersion;
  modifications: StateModification[];
  /** Milliseconds the client clock is ahead of the server's (from `Connect.clientTs`). */
  clientClockSkew?: number | undefined;
  /** Server wall clock at send time, in nanoseconds. */
  serverTs?: number | undefined;
};

export type TransitionChunk = {
  type: "TransitionChunk";
  chunk: string;
  partNumber: number;
  totalParts: number;
  transitionId: string;
};

export type MutationResponse =
  | {
      type: "MutationResponse";
      requestId: RequestId;
      success: true;
      result: JsonValue;
      ts: Timestamp;
      logLines: LogLines;
    }
  | {
      type: "MutationResponse";
      requestId: RequestId;
      success: false;
      result: string;
      logLines: LogLines;
      errorData?: JsonValue | undefined;
    };

export type ActionResponse =
  | {
      type: "ActionResponse";
      requestId: RequestId;
      success: true;
      result: JsonValue;
      logLines: LogLines;
    }
  | {
      type: "ActionResponse";
      requestId: RequestId;
      success: false;
      result: string;
      logLines: LogLines;
      errorData?: JsonValue | undefined;
    };

export type AuthError = {
  type: "AuthError";
  error: string;
  baseVersion: IdentityVersion;
  /** True when answering an `Authenticate`; false when a token expired mid-session. */
  authUpdateAttempted: boolean;
};

export type FatalError = { type: "FatalError"; error: string };
export type Ping = { type: "Ping" };

export type ServerMessage =
  | Transition
  | TransitionChunk
  | MutationResponse
  | ActionResponse
  | AuthError
  | FatalError
  | Ping;

const U64_MAX = (1n << 64n) - 1n;

/** Encodes a u64 timestamp as the client expects: base64 of its 8 little-endian bytes. */
export function encodeTs(ts: Timestamp): string {
  if (ts < 0n || ts > U64_MAX)
    throw new RangeError(`Timestamp ${ts} is not a u64`);
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** Decodes a timestamp encoded by `encodeTs` (or the client's `longToU64`); throws BadRequest. */
export function decodeTs(encoded: string): Timestamp {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== 8 || bytes.toString("base64") !== encoded) {
    throw badRequest(
      "InvalidTimestamp",
      `Expected a base64-encoded u64, received ${JSON.stringify(encoded)}`,
    );
  }
  return bytes.readBigUInt64LE();
}

/**
 * Encodes one server message as the JSON text of a WebSocket frame. Object keys of values are
 * emitted as given; `undefined` optional fields are dropped.
 */
export function encodeServerMessage(message: ServerMessage): string {
  switch (message.type) {
    case "Transition":
      return JSON.stringify({
        ...message,
        startVersion: encodeStateVersion(message.startVersion),
        endVersion: encodeStateVersion(message.endVersion),
      });
    case "MutationResponse":
      return JSON.stringify(
        message.success ? { ...message, ts: encodeTs(message.ts) } : message,
      );
    case "TransitionChunk":
    case "ActionResponse":
    case "AuthError":
    case "FatalError":
    case "Ping":
      return JSON.stringify(message);
    default:
      message satisfies never;
      throw new Error("unreachable");
  }
}

function encodeStateVersion(version: StateVersion): {
  querySet: number;
  identity: number;
  ts: string;
} {
  return {
    querySet: version.querySet,
    identity: version.identity,
    ts: encodeTs(version.ts),
  };
}

/**
 * Parses one untrusted client frame. Throws `BackendError(BadRequest)` naming what was expected
 * when the text is not JSON or not a well-formed client message. Unknown extra fields are
 * ignored, as a newer client may send them.
 */
export function parseClientMessage(text: string): ClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest(
      "InvalidClientMessage",
      "Expected a JSON client message, received invalid JSON",
    );
  }
  const r = new Reader(json, "message");
  const type = r.string("type");
  switch (type) {
    case "Connect":
      return parseConnect(r);
    case "ModifyQuerySet":
      return parseModifyQuerySet(r);
    case "Mutation":
    case "Action":
      return {
        type,
        requestId: r.uint("requestId"),
        udfPath: r.string("udfPath"),
        args: r.array("args") as JsonValue[],
        componentPath: r.optionalString("componentPath"),
      };
    case "Authenticate":
      return parseAuthenticate(r);
    case "Event":
      return {
        type,
        eventType: r.string("eventType"),
        event: (r.field("event") ?? null) as JsonValue,
      };
    default:
      throw badRequest(
        "InvalidClientMessage",
        `Unknown client message type ${JSON.stringify(type)}`,
      );
  }
}

function parseConnect(r: Reader): Connect {
  const maxObserved = r.optionalString("maxObservedTimestamp");
  const clientTs = r.field("clientTs");
  return {
    type: "Connect",
    sessionId: r.string("sessionId"),
    connectionCount: r.uint("connectionCount"),
    lastCloseReason: r.nullableString("lastCloseReason"),
    maxObservedTimestamp:
      maxObserved === undefined ? undefined : decodeTs(maxObserved),
    clientTs:
      typeof clientTs === "number" && Number.isFinite(clientTs)
        ? clientTs
        : undefined,
  };
}

function parseModifyQuerySet(r: Reader): QuerySetModification {
  const modifications = r
    .array("modifications")
    .map((m, i): AddQuery | RemoveQuery => {
      const mr = new Reader(m, `modifications[${i}]`);
      const type = mr.string("type");
      if (type === "Remove") return { type, queryId: mr.uint("queryId") };
      if (type !== "Add") {
        throw badRequest(
          "InvalidClientMessage",
          `Expected an Add or Remove modification, received ${JSON.stringify(type)}`,
        );
      }
      const journal = mr.field("journal");
      return {
        type,
        queryId: mr.uint("queryId"),
        udfPath: mr.string("udfPath"),
        args: mr.array("args") as JsonValue[],
        journal:
          journal === undefined ? undefined : mr.nullableString("journal"),
        componentPath: mr.optionalString("componentPath"),
      };
    });
  return {
    type: "ModifyQuerySet",
    baseVersion: r.uint("baseVersion"),
    newVersion: r.uint("newVersion"),
    modifications,
  };
}

function parseAuthenticate(r: Reader): Authenticate {
  const tokenType = r.string("tokenType");
  const baseVersion = r.uint("baseVersion");
  switch (tokenType) {
    case "None":
      return { type: "Authenticate", tokenType, baseVersion };
    case "User":
      return {
        type: "Authenticate",
        tokenType,
        baseVersion,
        value: r.string("value"),
      };
    case "Admin": {
      const impersonating = r.field("impersonating");
      if (impersonating != null && !isPlainObject(impersonating)) {
        throw badRequest(
          "InvalidClientMessage",
          "Expected message.impersonating to be an object",
        );
      }
      return {
        type: "Authenticate",
        tokenType,
        baseVersion,
        value: r.string("value"),
        impersonating:
          impersonating == null
            ? undefined
            : (impersonating as UserIdentityAttributes),
      };
    }
    default:
      throw badRequest(
        "InvalidClientMessage",
        `Unknown token type ${JSON.stringify(tokenType)}`,
      );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Typed field access over an untrusted object, with errors naming the path. */
class Reader {
  readonly #obj: Record<string, unknown>;
  readonly #path: string;

  constructor(value: unknown, path: string) {
    if (!isPlainObject(value))
      throw badRequest(
        "InvalidClientMessage",
        `Expected ${path} to be an object`,
      );
    this.#obj = value;
    this.#path = path;
  }

  field(name: string): unknown {
    return Object.hasOwn(this.#obj, name) ? this.#obj[name] : undefined;
  }

  string(name: string): string {
    const v = this.field(name);
    if (typeof v !== "string") throw this.#expected(name, "a string", v);
    return v;
  }

  optionalString(name: string): string | undefined {
    const v = this.field(name);
    return v == null ? undefined : this.string(name);
  }

  nullableString(name: string): string | null {
    const v = this.field(name);
    return v == null ? null : this.string(name);
  }

  uint(name: string): number {
    const v = this.field(name);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw this.#expected(name, "a non-negative integer", v);
    }
    return v;
  }

  array(name: string): unknown[] {
    const v = this.field(name);
    if (!Array.isArray(v)) throw this.#expected(name, "an array", v);
    return v;
  }

  #expected(name: string, what: string, v: unknown): Error {
    const got = v === undefined ? "nothing" : JSON.stringify(v).slice(0, 80);
    return badRequest(
      "InvalidClientMessage",
      `Expected ${this.#path}.${name} to be ${what}, received ${got}`,
    );
  }
}
