import { describe, expect, test } from "vitest";
import { BackendError } from "../../errors/backend-error.js";
import { createFakeHttpDeps } from "../fake-http-deps.js";
import type { FileStoragePort, HttpDeps, UserIdentity } from "../http-deps.js";
import { createHttpApp, createSiteApp } from "../http-app.js";

const BASE = "http://127.0.0.1:3210";
const SITE = "http://127.0.0.1:3211";

/** An in-memory `FileStoragePort` that records uploads. */
function fakeStorage() {
  const stored = new Map<string, { bytes: Uint8Array; type: string | null }>();
  const uploads: { token: string | null; sha256Base64?: string | undefined }[] =
    [];
  const port: FileStoragePort = {
    upload(token, file) {
      uploads.push({ token, sha256Base64: file.sha256Base64 });
      if (token !== "good") {
        return Promise.reject(
          new BackendError("Unauthenticated", "InvalidUploadToken", "bad"),
        );
      }
      const id = `file${stored.size + 1}`;
      stored.set(id, { bytes: file.body, type: file.contentType });
      return Promise.resolve(id);
    },
    open(storageId) {
      const file = stored.get(storageId);
      if (file === undefined) return Promise.resolve(null);
      return Promise.resolve({
        size: file.bytes.byteLength,
        contentType: file.type,
        stream: new Blob([new Uint8Array(file.bytes)]).stream(),
      });
    },
  };
  return { port, stored, uploads };
}

function setup(extra: Partial<HttpDeps> = {}) {
  const fakes = createFakeHttpDeps();
  const storage = fakeStorage();
  const deps: HttpDeps = { ...fakes.deps, storage: storage.port, ...extra };
  return {
    ...fakes,
    deps,
    storage,
    app: createHttpApp(deps),
    site: createSiteApp(deps),
  };
}

describe("storage routes", () => {
  test("an upload answers {storageId} and passes the token, content type and digest on", async () => {
    const { app, storage } = setup();
    const response = await app(
      new Request(`${BASE}/api/storage/upload?token=good`, {
        method: "POST",
        headers: { "Content-Type": "image/gif", Digest: "sha-256=abc=" },
        body: new Uint8Array([1, 2, 3]),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ storageId: "file1" });
    expect(storage.uploads).toEqual([{ token: "good", sha256Base64: "abc=" }]);
    expect(storage.stored.get("file1")?.type).toBe("image/gif");
  });

  test("an upload with a bad token is a 401", async () => {
    const { app } = setup();
    const response = await app(
      new Request(`${BASE}/api/storage/upload?token=bad`, {
        method: "POST",
        body: "x",
      }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "InvalidUploadToken" });
  });

  test("a download serves the bytes with their content type and length", async () => {
    const { app } = setup();
    await app(
      new Request(`${BASE}/api/storage/upload?token=good`, {
        method: "POST",
        headers: { "Content-Type": "text/csv" },
        body: "a,b",
      }),
    );
    const response = await app(new Request(`${BASE}/api/storage/file1`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv");
    expect(response.headers.get("content-length")).toBe("3");
    expect(await response.text()).toBe("a,b");
    const head = await app(
      new Request(`${BASE}/api/storage/file1`, { method: "HEAD" }),
    );
    expect(head.headers.get("content-length")).toBe("3");
  });

  test("a missing file is a 404", async () => {
    const { app } = setup();
    const response = await app(new Request(`${BASE}/api/storage/nope`));
    expect(response.status).toBe(404);
  });

  test("without file storage the routes are 404s", async () => {
    const { app } = setup({ storage: undefined });
    const response = await app(new Request(`${BASE}/api/storage/file1`));
    expect(response.status).toBe(404);
  });
});

describe("HTTP action identity", () => {
  const identity: UserIdentity = { subject: "u1", tokenIdentifier: "i|u1" };
  const verifyUserToken = (token: string): Promise<UserIdentity> =>
    token === "valid"
      ? Promise.resolve(identity)
      : Promise.reject(new BackendError("Unauthenticated", "Bad", "bad"));

  /** A site app whose runner answers with the identity it was given, as JSON. */
  function siteWithEcho() {
    const fakes = setup();
    const seen: (UserIdentity | null | undefined)[] = [];
    const runHttpAction = (
      _request: Request,
      options?: { identity?: UserIdentity | null },
    ): Promise<Response> => {
      seen.push(options?.identity);
      return Promise.resolve(new Response("ok"));
    };
    const functions = {
      run: fakes.functions.run.bind(fakes.functions),
      runHttpAction,
    };
    const site = createSiteApp({ ...fakes.deps, verifyUserToken, functions });
    const app = createHttpApp({ ...fakes.deps, verifyUserToken, functions });
    return { ...fakes, site, app, seen };
  }

  test("a verified Bearer token becomes the action's identity", async () => {
    const { site, seen } = siteWithEcho();
    await site(
      new Request(`${SITE}/x`, { headers: { Authorization: "Bearer valid" } }),
    );
    expect(seen).toEqual([identity]);
  });

  test("a token that does not verify, or another scheme, leaves the action anonymous", async () => {
    const { site, seen } = siteWithEcho();
    await site(
      new Request(`${SITE}/x`, { headers: { Authorization: "Bearer wrong" } }),
    );
    await site(
      new Request(`${SITE}/x`, { headers: { Authorization: "Basic abc" } }),
    );
    expect(seen).toEqual([null, null]);
  });

  test("the site port adds no CORS headers of its own", async () => {
    const { site } = siteWithEcho();
    const response = await site(
      new Request(`${SITE}/x`, { headers: { Origin: "https://a.example" } }),
    );
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("function routes verify Bearer tokens and answer 401 for bad ones", async () => {
    const { app, functions } = siteWithEcho();
    const call = (token: string) =>
      app(
        new Request(`${BASE}/api/query`, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ path: "messages:list", args: {} }),
        }),
      );
    expect((await call("valid")).status).toBe(200);
    expect(functions.calls.at(-1)?.identity).toEqual(identity);
    expect((await call("wrong")).status).toBe(401);
  });
});
