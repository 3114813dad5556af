import {
  createHash,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from "node:crypto";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployFixture, type DeployedApp } from "./deployed-app.js";
import { actionRef, mutationRef, queryRef } from "./function-refs.js";

/*
 * File storage, HTTP actions and user authentication against a real `hull serve` running the
 * `extras` fixture. The test signs its own JWTs with a key it publishes to the app as a `data:`
 * JWKS in `auth.config.ts` (a `customJwt` provider).
 */

const ISSUER = "https://issuer.hull.test";
const APPLICATION_ID = "hull-e2e";

let deployed: DeployedApp;
let privateKey: KeyObject;

beforeAll(async () => {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  privateKey = keys.privateKey;
  const jwk = { ...keys.publicKey.export({ format: "jwk" }), kid: "k1" };
  const jwks = Buffer.from(JSON.stringify({ keys: [jwk] })).toString("base64");
  deployed = await deployFixture("extras");
  await deployed.app.writeModule(
    "auth.config.ts",
    `export default { providers: [{ type: "customJwt", issuer: ${JSON.stringify(ISSUER)},
      jwks: "data:text/plain;charset=utf-8;base64,${jwks}", algorithm: "RS256",
      applicationID: ${JSON.stringify(APPLICATION_ID)} }] };\n`,
  );
  await deployed.push();
});

afterAll(async () => {
  await deployed?.[Symbol.asyncDispose]();
});

/** An RS256 JWT for `subject`, valid for `lifetimeS` seconds from now (negative: expired). */
function userToken(subject: string, lifetimeS = 600): string {
  const nowS = Math.floor(Date.now() / 1000);
  const encode = (part: object): string =>
    Buffer.from(JSON.stringify(part)).toString("base64url");
  const header = encode({ alg: "RS256", typ: "JWT", kid: "k1" });
  const payload = encode({
    iss: ISSUER,
    sub: subject,
    aud: APPLICATION_ID,
    iat: nowS - 60 + Math.min(lifetimeS, 0) * 2,
    exp: nowS + lifetimeS,
    name: "Ada Lovelace",
    email: "ada@example.com",
    plan: "pro",
  });
  const signature = sign(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    privateKey,
  ).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

function httpClient(): ConvexHttpClient {
  return new ConvexHttpClient(deployed.hull.url, { logger: false });
}

describe("file storage", () => {
  test("an uploaded file round-trips through its URLs and stops being served once deleted", async () => {
    const client = httpClient();
    const uploadUrl = (await client.mutation(
      mutationRef("files:generateUploadUrl"),
      {},
    )) as string;
    expect(uploadUrl).toMatch(
      new RegExp(`^${deployed.hull.url}/api/storage/upload\\?token=`),
    );
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 10, 13]);
    const upload = await fetch(uploadUrl, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: bytes,
    });
    expect(upload.status).toBe(200);
    const { storageId } = (await upload.json()) as { storageId: string };
    const id = (await client.mutation(mutationRef("files:save"), {
      name: "pixel.png",
      storageId,
    })) as string;
    const file = (await client.query(queryRef("files:describe"), { id })) as {
      url: string;
      size: number;
      sha256: string;
      contentType: string;
    };
    expect(file).toMatchObject({
      size: 8,
      contentType: "image/png",
      sha256: createHash("sha256").update(bytes).digest("base64"),
      fields: ["_creationTime", "_id", "contentType", "sha256", "size"],
    });
    const download = await fetch(file.url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);

    await client.mutation(mutationRef("files:remove"), { id });
    expect((await fetch(file.url)).status).toBe(404);
  });

  test("an upload URL with a forged token is refused", async () => {
    const response = await fetch(
      `${deployed.hull.url}/api/storage/upload?token=1.2.3`,
      { method: "POST", body: "x" },
    );
    expect(response.status).toBe(401);
  });

  test("an action stores, reads, describes and deletes a blob", async () => {
    const result: unknown = await httpClient().action(
      actionRef("files:roundTripInAction"),
      { text: "hello, storage" },
    );
    expect(result).toEqual({
      text: "hello, storage",
      type: "text/plain",
      size: 14,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      afterDelete: null,
    });
  });
});

describe("HTTP actions", () => {
  test("a site-port action runs a mutation and keeps the CORS headers it sets", async () => {
    const response = await fetch(`${deployed.hull.siteUrl}/events`, {
      method: "POST",
      body: "from the site port",
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBe(
      "https://app.example",
    );
    expect(await response.json()).toEqual({ count: 1 });
  });

  test("the same action answers under /http/ on the client port", async () => {
    const response = await fetch(`${deployed.hull.url}/http/events`, {
      method: "POST",
      body: "from the client port",
    });
    expect(response.status).toBe(201);
    const events = (await httpClient().query(queryRef("events:list"), {})) as {
      body: string;
    }[];
    expect(events.map((e) => e.body)).toContain("from the client port");
  });

  test("a prefix route stores the request body and serves it back", async () => {
    const response = await fetch(`${deployed.hull.siteUrl}/files/a/b.txt`, {
      method: "PUT",
      headers: { "Content-Type": "text/csv" },
      body: "a,b\n1,2\n",
    });
    const { url } = (await response.json()) as { url: string };
    const download = await fetch(url);
    expect(download.headers.get("content-type")).toBe("text/csv");
    expect(await download.text()).toBe("a,b\n1,2\n");
  });

  test("an action schedules a mutation and runs an action", async () => {
    const response = await fetch(`${deployed.hull.siteUrl}/later`, {
      method: "POST",
      body: "scheduled from HTTP",
    });
    expect(await response.json()).toEqual({
      count: expect.any(Number) as unknown,
    });
    const client = httpClient();
    await expect
      .poll(
        async () =>
          (
            (await client.query(queryRef("events:list"), {})) as {
              body: string;
            }[]
          ).map((e) => e.body),
        { timeout: 10_000, interval: 100 },
      )
      .toContain("scheduled from HTTP");
  });

  test("a Bearer token gives the action its user identity", async () => {
    const response = await fetch(`${deployed.hull.siteUrl}/whoami`, {
      headers: { Authorization: `Bearer ${userToken("user-http")}` },
    });
    expect(await response.json()).toMatchObject({
      subject: "user-http",
      tokenIdentifier: `${ISSUER}|user-http`,
    });
  });
});

describe("authentication", () => {
  test("ConvexHttpClient.setAuth gives functions the token's identity", async () => {
    const client = httpClient();
    client.setAuth(userToken("user-1"));
    const identity: unknown = await client.query(queryRef("events:whoami"), {});
    expect(identity).toEqual({
      tokenIdentifier: `${ISSUER}|user-1`,
      subject: "user-1",
      issuer: ISSUER,
      name: "Ada Lovelace",
      email: "ada@example.com",
      plan: "pro",
    });
  });

  test("an expired token is rejected over HTTP", async () => {
    const client = httpClient();
    client.setAuth(userToken("user-1", -120));
    await expect(client.query(queryRef("events:whoami"), {})).rejects.toThrow(
      /expired|Could not verify/i,
    );
  });

  test("ConvexClient authenticates over the socket and refuses an expired token", async () => {
    const client = new ConvexClient(deployed.hull.url, { logger: false });
    try {
      const accepted = new Promise<boolean>((resolve) =>
        client.setAuth(() => Promise.resolve(userToken("user-ws")), resolve),
      );
      expect(await accepted).toBe(true);
      const identity = (await client.query(queryRef("events:whoami"), {})) as {
        subject: string;
      };
      expect(identity.subject).toBe("user-ws");

      const refused = new Promise<boolean>((resolve) =>
        client.setAuth(
          () => Promise.resolve(userToken("user-ws", -120)),
          resolve,
        ),
      );
      expect(await refused).toBe(false);
      expect(await client.query(queryRef("events:whoami"), {})).toBeNull();
    } finally {
      await client.close();
    }
  });

  test("an admin key impersonates an identity with `convex run --identity`", async () => {
    const result = await deployed.cli([
      "run",
      "events:whoami",
      "--identity",
      JSON.stringify({ subject: "someone", issuer: "https://other.test" }),
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      subject: "someone",
      tokenIdentifier: "https://other.test|someone",
    });
  });

  test("a push with an invalid auth.config.ts fails and keeps the deployed providers", async () => {
    await deployed.app.writeModule(
      "auth.config.ts",
      `export default { providers: [{ type: "customJwt", issuer: "https://x.test" }] };\n`,
    );
    const result = await deployed.cli([
      "dev",
      "--once",
      "--typecheck",
      "disable",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/InvalidAuthConfig/);
    const client = httpClient();
    client.setAuth(userToken("still-valid"));
    expect(await client.query(queryRef("events:whoami"), {})).toMatchObject({
      subject: "still-valid",
    });
  });
});
