import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, test } from "vitest";
import {
  DiskFileStore,
  MemoryFileStore,
  type FileStore,
  type OpenedBlob,
} from "./file-store.js";

const directories: string[] = [];

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "hull-file-store-"));
  directories.push(directory);
  return directory;
}

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((d) => rm(d, { recursive: true, force: true })),
  );
});

async function readAll(blob: OpenedBlob | null): Promise<Buffer> {
  if (blob === null) throw new Error("expected a blob");
  const chunks: Uint8Array[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

/** A body that yields `first`, then waits for `release()`, then yields `rest` or throws. */
function gatedBody(first: string, rest: string | Error) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  async function* body(): AsyncIterable<Uint8Array> {
    yield new TextEncoder().encode(first);
    started();
    await gate;
    if (rest instanceof Error) throw rest;
    yield new TextEncoder().encode(rest);
  }
  return { body: body(), release, started: startedPromise };
}

const sha = (text: string | Buffer) =>
  createHash("sha256").update(text).digest();

describe.each([
  [
    "DiskFileStore",
    async (): Promise<FileStore> => DiskFileStore.create(await tempDirectory()),
  ],
  [
    "MemoryFileStore",
    (): Promise<FileStore> => Promise.resolve(new MemoryFileStore()),
  ],
])("%s", (_name, createStore) => {
  test("stores bytes and reports their size and SHA-256 in base64 and hex", async () => {
    const store = await createStore();
    const blob = await store.put(new TextEncoder().encode("hello, world"));
    expect(blob.size).toBe(12);
    expect(blob.sha256Base64).toBe(sha("hello, world").toString("base64"));
    expect(blob.sha256Hex).toBe(sha("hello, world").toString("hex"));
    const opened = await store.open(blob.storageKey);
    expect(opened?.size).toBe(12);
    expect((await readAll(opened)).toString()).toBe("hello, world");
  });

  test("stores a stream of chunks, and an empty body", async () => {
    const store = await createStore();
    const blob = await store.put(streamOf("ab", "", "cde", "f"));
    expect(blob.size).toBe(6);
    expect((await readAll(await store.open(blob.storageKey))).toString()).toBe(
      "abcdef",
    );
    const empty = await store.put(new Uint8Array(0));
    expect(empty).toMatchObject({
      size: 0,
      sha256Hex: sha("").toString("hex"),
    });
    expect((await readAll(await store.open(empty.storageKey))).length).toBe(0);
  });

  test("each put gets a new key, even for identical bytes", async () => {
    const store = await createStore();
    const a = await store.put(new TextEncoder().encode("same"));
    const b = await store.put(new TextEncoder().encode("same"));
    expect(a.storageKey).not.toBe(b.storageKey);
    expect(a.sha256Base64).toBe(b.sha256Base64);
  });

  test("unknown and malformed keys open as null and delete as false", async () => {
    const store = await createStore();
    for (const key of [
      "00000000-0000-4000-8000-000000000000",
      "../../etc/passwd",
      "",
    ]) {
      expect(await store.open(key)).toBeNull();
      expect(await store.delete(key)).toBe(false);
    }
  });

  test("a deleted blob no longer opens", async () => {
    const store = await createStore();
    const { storageKey } = await store.put(new TextEncoder().encode("bye"));
    expect(await store.delete(storageKey)).toBe(true);
    expect(await store.open(storageKey)).toBeNull();
    expect(await store.delete(storageKey)).toBe(false);
  });

  test("concurrent puts keep every blob intact", async () => {
    const store = await createStore();
    const bodies = Array.from({ length: 24 }, (_, i) =>
      `blob ${i} `.repeat(i * 97 + 1),
    );
    const blobs = await Promise.all(
      bodies.map((body, i) =>
        store.put(i % 2 ? streamOf(body) : Buffer.from(body)),
      ),
    );
    expect(new Set(blobs.map((b) => b.storageKey)).size).toBe(bodies.length);
    for (const [i, blob] of blobs.entries()) {
      expect(
        (await readAll(await store.open(blob.storageKey))).toString(),
      ).toBe(bodies[i]);
      expect(blob.sha256Hex).toBe(sha(bodies[i] as string).toString("hex"));
    }
  });

  test("a body over maxBytes is rejected with FileTooLarge and not stored", async () => {
    const store = await createStore();
    await expect(
      store.put(streamOf("12345", "67890"), { maxBytes: 8 }),
    ).rejects.toMatchObject({
      code: "BadRequest",
      shortMsg: "FileTooLarge",
    });
    await expect(
      store.put(Buffer.from("12345678"), { maxBytes: 8 }),
    ).resolves.toMatchObject({ size: 8 });
  });

  test("an announced SHA-256 must match the bytes", async () => {
    const store = await createStore();
    const good = sha("payload").toString("base64");
    await expect(
      store.put(Buffer.from("payload"), { expectedSha256Base64: good }),
    ).resolves.toMatchObject({
      sha256Base64: good,
    });
    await expect(
      store.put(Buffer.from("tampered"), { expectedSha256Base64: good }),
    ).rejects.toMatchObject({ code: "BadRequest", shortMsg: "Sha256Mismatch" });
  });

  test("a body that fails midway rejects with its own error", async () => {
    const store = await createStore();
    const failing = gatedBody("partial", new Error("client went away"));
    failing.release();
    await expect(store.put(failing.body)).rejects.toThrow("client went away");
  });
});

describe("DiskFileStore", () => {
  test("no partial file is visible under a final name while a put is in flight or after it fails", async () => {
    const directory = await tempDirectory();
    const store = await DiskFileStore.create(directory);
    const pending = gatedBody("first half, ", new Error("connection reset"));
    const put = store.put(pending.body);
    await pending.started;
    expect(await store.listKeys()).toEqual([]);
    expect(await readdir(join(directory, "tmp"))).toHaveLength(1);
    pending.release();
    await expect(put).rejects.toThrow("connection reset");
    expect(await store.listKeys()).toEqual([]);
    expect(await readdir(join(directory, "tmp"))).toEqual([]);
  });

  test("a put becomes visible only when complete", async () => {
    const directory = await tempDirectory();
    const store = await DiskFileStore.create(directory);
    const pending = gatedBody("first half, ", "second half");
    const put = store.put(pending.body);
    await pending.started;
    expect(await store.listKeys()).toEqual([]);
    pending.release();
    const blob = await put;
    expect(await store.listKeys()).toEqual([blob.storageKey]);
    expect((await readAll(await store.open(blob.storageKey))).toString()).toBe(
      "first half, second half",
    );
    expect(await readdir(join(directory, "tmp"))).toEqual([]);
  });

  test("stale temporary files of a crashed write are removed on start; fresh ones are kept", async () => {
    const directory = await tempDirectory();
    const first = await DiskFileStore.create(directory);
    const kept = await first.put(Buffer.from("durable"));
    const stale = join(
      directory,
      "tmp",
      "11111111-1111-4111-8111-111111111111.dead",
    );
    const fresh = join(
      directory,
      "tmp",
      "22222222-2222-4222-8222-222222222222.live",
    );
    await writeFile(stale, "half a file");
    await writeFile(fresh, "being written by another process");
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, hourAgo, hourAgo);
    const reopened = await DiskFileStore.create(directory);
    expect(await readdir(join(directory, "tmp"))).toEqual([
      "22222222-2222-4222-8222-222222222222.live",
    ]);
    expect(await reopened.listKeys()).toEqual([kept.storageKey]);
    expect(
      (await readAll(await reopened.open(kept.storageKey))).toString(),
    ).toBe("durable");
  });

  test("blobs survive reopening the directory", async () => {
    const directory = await tempDirectory();
    const blob = await (
      await DiskFileStore.create(directory)
    ).put(Buffer.from("persisted"));
    const reopened = await DiskFileStore.create(directory);
    expect(
      (await readAll(await reopened.open(blob.storageKey))).toString(),
    ).toBe("persisted");
  });

  test("a reader that opened a blob before it was deleted still reads it all", async () => {
    const store = await DiskFileStore.create(await tempDirectory());
    const body = Buffer.alloc(256 * 1024, 7);
    const { storageKey } = await store.put(body);
    const opened = await store.open(storageKey);
    expect(await store.delete(storageKey)).toBe(true);
    expect((await readAll(opened)).equals(body)).toBe(true);
  });

  test("a multi-megabyte stream round-trips with the right digest", async () => {
    const store = await DiskFileStore.create(await tempDirectory());
    const chunk = Buffer.alloc(64 * 1024);
    const hash = createHash("sha256");
    function* body() {
      for (let i = 0; i < 64; i++) {
        chunk.fill(i);
        hash.update(chunk);
        yield Buffer.from(chunk);
      }
    }
    const blob = await store.put(Readable.from(body()));
    expect(blob.size).toBe(64 * 64 * 1024);
    expect(blob.sha256Hex).toBe(hash.digest("hex"));
    const read = await readAll(await store.open(blob.storageKey));
    expect(sha(read).toString("hex")).toBe(blob.sha256Hex);
  });
});
