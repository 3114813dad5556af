/**
 * Test doubles for the sync layer: a tiny versioned key/value "database" with one index, the
 * functions that read and write it (with honest read sets), and a recording transport that checks
 * the version rules on every Transition it receives.
 */
import { expect } from "vitest";
import type { KeyInterval, Timestamp } from "../storage/persistence.js";
import type { CommitWrites } from "../engine/subscriptions.js";
import { indexKeyWrite } from "../engine/read-set.js";
import { BackendError } from "../errors/backend-error.js";
import type { Clock } from "../shared/clock.js";
import { silentLogger } from "../shared/logger.js";
import type { JsonValue } from "../values/value.js";
import type { SyncDeps, SyncRunResult, SyncUdfRequest } from "./sync-deps.js";
import type { Transport } from "./sync-session.js";

const INDEX = "kv";

function keyOf(k: string): Uint8Array {
  return Buffer.from(k, "utf8");
}

function point(k: string): KeyInterval {
  const start = keyOf(k);
  const end = new Uint8Array(start.length + 1);
  end.set(start);
  return { start, end };
}

function readSetOf(intervals: KeyInterval[]) {
  return {
    indexIds: () => (intervals.length === 0 ? [] : [INDEX]),
    intervals: (id: string) => (id === INDEX ? intervals : []),
  };
}

export class FakeClock implements Clock {
  nowMs = 1_700_000_000_000;
  now(): number {
    return this.nowMs;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Functions: `kv:get {k}` (point read), `kv:list {}` (full scan), `kv:whoami {}` (reads auth),
 * `kv:fail {}` (ConvexError), `kv:page {}` (journal = number of keys seen first),
 * `kv:set {k, v}` and `kv:boom {}` mutations, `kv:echo {x}` action.
 */
export class FakeBackend {
  readonly clock = new FakeClock();
  readonly runs = new Map<string, number>();
  /** Every mutation execution, in order (so tests can count duplicates). */
  readonly mutationLog: string[] = [];
  /** What `kv:version` returns: stands for the deployed code, changed without any commit. */
  codeVersion = 1;
  /** When set, mutations wait for this promise before committing. */
  gate: Promise<void> | null = null;
  latestTs: Timestamp = 1000n;
  readonly #history: { ts: Timestamp; k: string; v: JsonValue }[] = [];
  readonly #listeners = new Set<(commit: CommitWrites) => void>();

  deps(): SyncDeps {
    return {
      functions: { run: (request) => this.run(request) },
      database: this,
      auth: {
        checkAdminKey: (key) => key === "admin-key",
        verifyUserToken: (token) => {
          if (!token.startsWith("good:")) {
            return Promise.reject(
              new BackendError(
                "Unauthenticated",
                "InvalidAuthHeader",
                "Could not verify token",
              ),
            );
          }
          return Promise.resolve({
            subject: token.slice(5),
            tokenIdentifier: `test|${token.slice(5)}`,
          });
        },
      },
      clock: this.clock,
      logger: silentLogger,
    };
  }

  onCommit(listener: (commit: CommitWrites) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Commits `k = v` directly, as another process or an HTTP client would. */
  write(k: string, v: JsonValue): Timestamp {
    const ts = ++this.latestTs;
    this.#history.push({ ts, k, v });
    const commit: CommitWrites = {
      ts,
      indexWrites: new Map([[INDEX, [indexKeyWrite(keyOf(k), "kv", k)]]]),
    };
    for (const listener of this.#listeners) listener(commit);
    return ts;
  }

  valueAt(k: string, ts: Timestamp): JsonValue {
    let value: JsonValue = null;
    for (const entry of this.#history)
      if (entry.ts <= ts && entry.k === k) value = entry.v;
    return value;
  }

  keysAt(ts: Timestamp): string[] {
    const keys = new Set(
      this.#history.filter((e) => e.ts <= ts).map((e) => e.k),
    );
    return [...keys].sort();
  }

  async run(request: SyncUdfRequest): Promise<SyncRunResult> {
    this.runs.set(request.udfPath, (this.runs.get(request.udfPath) ?? 0) + 1);
    const args = (
      Array.isArray(request.args) ? request.args[0] : request.args
    ) as Record<string, JsonValue>;
    const readTs = request.readTs ?? this.latestTs;
    const k = typeof args.k === "string" ? args.k : "";
    const ok = (
      value: JsonValue,
      intervals: KeyInterval[],
      extra: Partial<SyncRunResult> = {},
    ) =>
      ({
        success: true,
        value,
        logLines: [],
        ts: readTs,
        readSet: readSetOf(intervals),
        usedAuth: false,
        ...extra,
      }) as SyncRunResult;
    switch (request.udfPath) {
      case "kv:get":
        return ok(this.valueAt(k, readTs), [point(k)]);
      case "kv:list":
        return ok(
          this.keysAt(readTs).map((k) => [k, this.valueAt(k, readTs)]),
          [{ start: new Uint8Array(0), end: null }],
        );
      case "kv:secret":
        return request.allowInternal
          ? ok("secret", [])
          : {
              success: false,
              errorMessage: "Could not find public function for 'kv:secret'.",
              logLines: [],
              ts: readTs,
            };
      case "kv:greeting": {
        // Reads auth only once the key "personal" is set: sharing must end at that point.
        const personal = this.valueAt("personal", readTs) !== null;
        const subject = request.identity?.subject;
        const value = personal
          ? `hello ${typeof subject === "string" ? subject : "nobody"}`
          : "hello";
        return ok(value, [point("personal")], { usedAuth: personal });
      }
      case "kv:version":
        return ok(this.codeVersion, []);
      case "kv:whoami":
        return ok(request.identity ?? null, [], { usedAuth: true });
      case "kv:big":
        return ok(
          (typeof args.prefix === "string" ? args.prefix : "") +
            (typeof args.unit === "string" ? args.unit : "x").repeat(
              Number(args.n),
            ),
          [],
        );
      case "kv:page": {
        const limit =
          request.journal == null
            ? this.keysAt(readTs).length
            : Number(request.journal);
        return ok(
          this.keysAt(readTs).slice(0, limit),
          [{ start: new Uint8Array(0), end: null }],
          { journal: String(limit) },
        );
      }
      case "kv:fail":
        return {
          success: false,
          errorMessage: "Uncaught ConvexError: nope",
          errorData: { code: 1 },
          logLines: ["[LOG] 'failing'"],
          ts: readTs,
        };
      case "kv:set": {
        this.mutationLog.push(JSON.stringify(args));
        if (this.gate !== null) await this.gate;
        const ts = this.write(k, args.v ?? null);
        return { success: true, value: null, logLines: [], ts };
      }
      case "kv:noop":
        // Commits nothing, yet reports a ts past every commit.
        return {
          success: true,
          value: "noop",
          logLines: [],
          ts: this.latestTs + 5n,
        };
      case "kv:boom":
        throw new BackendError(
          "InternalServerError",
          "InternalServerError",
          "disk on fire",
        );
      case "kv:echo":
        return {
          success: true,
          value: args.x ?? null,
          logLines: ["[LOG] 'echo'"],
          ts: this.latestTs,
        };
      default:
        return {
          success: false,
          errorMessage: `Could not find public function for '${request.udfPath}'.`,
          logLines: [],
          ts: readTs,
        };
    }
  }
}

type WireVersion = { querySet: number; identity: number; ts: string };

/** A parsed server frame. */
export type Frame = Record<string, JsonValue> & { type: string };

/**
 * Records frames and closes, and asserts the client's rules as the client would: every
 * Transition starts where the previous ended, and ts never decreases. TransitionChunks are
 * reassembled.
 */
export class RecordingTransport implements Transport {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  #version: WireVersion = { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" };
  #chunks: string[] = [];

  send(sent: string): void {
    expect(this.closed).toBeNull();
    // What the peer decodes: frames travel as UTF-8, where a lone surrogate becomes U+FFFD.
    const text = Buffer.from(sent, "utf8").toString("utf8");
    const frame = JSON.parse(text) as Frame;
    if (frame.type === "TransitionChunk") {
      this.#chunks.push(frame.chunk as string);
      if (this.#chunks.length < (frame.totalParts as number)) return;
      const whole = JSON.parse(this.#chunks.join("")) as Frame;
      this.#chunks = [];
      this.#record(whole);
      return;
    }
    this.#record(frame);
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  #record(frame: Frame): void {
    if (frame.type === "Transition") {
      expect(frame.startVersion).toEqual(this.#version);
      const end = frame.endVersion as WireVersion;
      expect(decode(end.ts) >= decode(this.#version.ts)).toBe(true);
      this.#version = end;
    }
    this.frames.push(frame);
  }

  /** Frames of `type`, in order. */
  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  last(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  take(): Frame[] {
    return this.frames.splice(0);
  }
}

export function decode(ts: string): bigint {
  return Buffer.from(ts, "base64").readBigUInt64LE();
}
