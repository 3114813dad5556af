import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ManualClock } from "../engine/testing/manual-clock.js";
import {
  createTestDatabase,
  type EngineFixture,
} from "../engine/testing/test-database.js";
import { DiskFileStore } from "../model/file-store.js";
import { FileStorage, UPLOAD_TOKEN_TTL_MS } from "./file-storage.js";
import { storageSyscall } from "./storage-syscalls.js";

const ORIGIN = "http://127.0.0.1:3210";

let fixture: EngineFixture;
let dir: string;
let files: DiskFileStore;
let clock: ManualClock;
let storage: FileStorage;

beforeEach(async () => {
  clock = new ManualClock();
  fixture = await createTestDatabase("sqlite", { clock });
  dir = await mkdtemp(join(tmpdir(), "hull-file-storage-"));
  files = await DiskFileStore.create(dir);
  storage = new FileStorage({
    database: fixture.database,
    files,
    clock,
    origin: ORIGIN,
    tokenSecret: new Uint8Array(32).fill(7),
    maxFileBytes: 1024,
  });
});

afterEach(async () => {
  await fixture[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function tokenOf(url: string): string | null {
  return new URL(url).searchParams.get("token");
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

describe("FileStorage", () => {
  test("an upload through a generated URL is stored with its size, digest and content type", async () => {
    const url = storage.generateUploadUrl();
    expect(url).toMatch(
      /^http:\/\/127\.0\.0\.1:3210\/api\/storage\/upload\?token=/,
    );
    const id = await storage.upload(tokenOf(url), {
      body: bytes("hello"),
      contentType: "text/plain",
    });
    const metadata = await storage.read((tx) => storage.metadata(tx, id));
    expect(metadata).toEqual({
      storageId: id,
      sha256: createHash("sha256").update("hello").digest("hex"),
      size: 5,
      contentType: "text/plain",
    });
    const document = await storage.read((tx) =>
      tx.get(id, { table: "_storage", isSystem: true }),
    );
    expect(document?.["sha256"]).toBe(
      createHash("sha256").update("hello").digest("base64"),
    );
    expect(await storage.read((tx) => storage.getUrl(tx, id))).toBe(
      `${ORIGIN}/api/storage/${id}`,
    );
    const opened = await storage.open(id);
    expect(opened?.contentType).toBe("text/plain");
    expect(await readAll(opened!.stream)).toBe("hello");
  });

  test("a forged, missing or expired upload token is refused", async () => {
    const file = { body: bytes("x"), contentType: null };
    await expect(storage.upload("1.2.3", file)).rejects.toMatchObject({
      code: "Unauthenticated",
    });
    await expect(storage.upload(null, file)).rejects.toMatchObject({
      code: "Unauthenticated",
    });
    const token = tokenOf(storage.generateUploadUrl());
    clock.advance(UPLOAD_TOKEN_TTL_MS + 1);
    await expect(storage.upload(token, file)).rejects.toThrow(/expired/);
    expect(await files.listKeys()).toEqual([]);
  });

  test("a file over the size limit is refused and nothing is kept", async () => {
    const token = tokenOf(storage.generateUploadUrl());
    await expect(
      storage.upload(token, {
        body: new Uint8Array(2048),
        contentType: null,
      }),
    ).rejects.toMatchObject({ shortMsg: "FileTooLarge" });
    expect(await files.listKeys()).toEqual([]);
  });

  test("a deleted file has no URL, no metadata and no bytes", async () => {
    const id = await storage.storeInOwnTransaction({
      body: bytes("gone soon"),
      contentType: null,
    });
    await storage.deleteInOwnTransaction(id);
    expect(await storage.open(id)).toBeNull();
    expect(await storage.read((tx) => storage.getUrl(tx, id))).toBeNull();
    expect(await storage.read((tx) => storage.metadata(tx, id))).toBeNull();
    expect(await files.listKeys()).toEqual([]);
    await expect(storage.deleteInOwnTransaction(id)).rejects.toThrow(
      /not found/,
    );
  });

  test("a delete committed by a mutation removes the bytes; the sweep removes blobs of aborted transactions", async () => {
    const deleted = await storage.storeInOwnTransaction({
      body: bytes("deleted"),
      contentType: null,
    });
    const tx = fixture.database.begin();
    await storage.storeIn(tx, { body: bytes("aborted"), contentType: null });
    tx.close();
    const other = await storage.storeInOwnTransaction({
      body: bytes("other"),
      contentType: null,
    });
    expect(await files.listKeys()).toHaveLength(3);
    await fixture.database.runInTransaction((t) =>
      storage.deleteIn(t, deleted),
    );
    await expect.poll(async () => (await files.listKeys()).length).toBe(2);
    expect(await storage.sweepOrphans(() => files.listKeys())).toBe(1);
    expect(await readAll((await storage.open(other))!.stream)).toBe("other");
  });

  test("a delete in a transaction that does not commit keeps the file", async () => {
    const id = await storage.storeInOwnTransaction({
      body: bytes("kept"),
      contentType: null,
    });
    const tx = fixture.database.begin();
    await storage.deleteIn(tx, id);
    tx.close();
    expect(await readAll((await storage.open(id))!.stream)).toBe("kept");
  });

  test("ids of other tables are not files", async () => {
    const { value: id } = await fixture.database.runInTransaction((tx) =>
      tx.insert("messages", { body: "hi" }),
    );
    expect(await storage.read((tx) => storage.getUrl(tx, id))).toBeNull();
    expect(await storage.open(id)).toBeNull();
  });
});

describe("storageSyscall", () => {
  test("a mutation stores and reads a blob in its transaction", async () => {
    const { value } = await fixture.database.runInTransaction(async (tx) => {
      const scope = { kind: "mutation" as const, tx };
      const id = JSON.parse(
        await storageSyscall(storage, scope, "1.0/storageStore", {
          blob: Buffer.from("bytes!").toString("base64"),
          contentType: "application/x-test",
        }),
      ) as string;
      const got = await storageSyscall(storage, scope, "1.0/storageGet", {
        storageId: id,
      });
      return { id, got: JSON.parse(got) as unknown };
    });
    expect(value.got).toEqual({
      blob: Buffer.from("bytes!").toString("base64"),
      contentType: "application/x-test",
    });
    const metadata = JSON.parse(
      await storageSyscall(
        storage,
        { kind: "action", tx: null },
        "1.0/storageGetMetadata",
        { storageId: value.id },
      ),
    ) as { size: number };
    expect(metadata.size).toBe(6);
  });

  test("a store whose announced digest does not match is refused", async () => {
    await expect(
      storageSyscall(
        storage,
        { kind: "action", tx: null },
        "1.0/storageStore",
        {
          blob: Buffer.from("abc").toString("base64"),
          sha256: createHash("sha256").update("xyz").digest("base64"),
        },
      ),
    ).rejects.toMatchObject({ shortMsg: "Sha256Mismatch" });
  });

  test("queries may read URLs but not generate upload URLs", async () => {
    const tx = fixture.database.begin();
    try {
      const scope = { kind: "query" as const, tx };
      await expect(
        storageSyscall(storage, scope, "1.0/storageGenerateUploadUrl", {}),
      ).rejects.toThrow(/not available in queries/);
      expect(
        await storageSyscall(storage, scope, "1.0/storageGetUrl", {
          storageId: "nope",
        }),
      ).toBe("null");
    } finally {
      tx.close();
    }
  });

  test("without a file store every storage syscall fails clearly", async () => {
    await expect(
      storageSyscall(null, { kind: "action", tx: null }, "1.0/storageGetUrl", {
        storageId: "x",
      }),
    ).rejects.toThrow(/not configured/);
  });
});
