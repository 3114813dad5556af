import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { BackendError } from "../../errors/backend-error.js";
import type { AuthProvider } from "./auth-providers.js";
import { jwtFailureOf, type JwtFailure } from "./jwt-errors.js";
import {
  createTestIssuer,
  encodeSegment,
  FakeFetch,
  jwksDataUri,
  jwksOf,
} from "./jwt-issuer.test-support.js";
import {
  CLOCK_SKEW_LEEWAY_S,
  createJwtVerifier,
  type JwtVerifier,
} from "./jwt-verifier.js";
import {
  DEFAULT_KEY_CACHE_TTL_MS,
  MIN_REFETCH_INTERVAL_MS,
} from "./key-source.js";

const NOW_S = 1_750_000_000;
const ISSUER = "https://auth.example.com";

const rsa = createTestIssuer("RS256");
const ec = createTestIssuer("ES256");
const ed = createTestIssuer("EdDSA");

function clock(startS = NOW_S) {
  let nowMs = startS * 1000;
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

function verifier(
  providers: AuthProvider[],
  fetch = new FakeFetch(),
  time = clock(),
): JwtVerifier {
  return createJwtVerifier({ providers, fetch: fetch.fetch, clock: time });
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: "user-1",
    aud: "my-app",
    iat: NOW_S - 10,
    exp: NOW_S + 3600,
    ...extra,
  };
}

const customRsa = (extra: Partial<AuthProvider> = {}): AuthProvider =>
  ({
    type: "customJwt",
    issuer: ISSUER,
    jwks: jwksDataUri(jwksOf(rsa)),
    algorithm: "RS256",
    applicationID: "my-app",
    ...extra,
  }) as AuthProvider;

/** The rejection of `promise`, with its failure kind. */
async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error("expected the token to be rejected");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendError);
  const { code, shortMsg, message } = error as BackendError;
  return { code, shortMsg, message, failure: jwtFailureOf(error) };
}

async function expectRejected(
  promise: Promise<unknown>,
  failure: JwtFailure,
  shortMsg: string,
  message?: string,
) {
  const r = await rejection(promise);
  expect(r).toMatchObject({ code: "Unauthenticated", failure, shortMsg });
  if (message !== undefined) expect(r.message).toBe(message);
}

describe("createJwtVerifier: custom JWT providers", () => {
  test("an RS256 token checked against a base64 data: JWKS yields Convex's identity", async () => {
    const v = verifier([customRsa()]);
    const verified = await v.verify(
      rsa.sign(claims({ name: "Ada", role: "admin" })),
    );
    expect(verified).toEqual({
      identity: {
        tokenIdentifier: `${ISSUER}|user-1`,
        subject: "user-1",
        issuer: ISSUER,
        name: "Ada",
        role: "admin",
      },
      expiresAtMs: (NOW_S + 3600) * 1000,
    });
  });

  test("an ES256 token checked against a percent-encoded data: JWKS", async () => {
    const v = verifier([
      {
        type: "customJwt",
        issuer: ISSUER,
        jwks: jwksDataUri(jwksOf(ec), "percent"),
        algorithm: "ES256",
      },
    ]);
    const { identity } = await v.verify(ec.sign(claims()));
    expect(identity.subject).toBe("user-1");
  });

  test("a JWKS URL is fetched once and reused until the cache TTL passes", async () => {
    const fetch = new FakeFetch().serve(
      "https://keys.example.com/jwks.json",
      jwksOf(rsa),
    );
    const time = clock();
    const v = verifier(
      [customRsa({ jwks: "https://keys.example.com/jwks.json" })],
      fetch,
      time,
    );
    await v.verify(rsa.sign(claims()));
    await v.verify(rsa.sign(claims({ sub: "user-2" })));
    expect(fetch.requests).toEqual(["https://keys.example.com/jwks.json"]);
    time.advance(DEFAULT_KEY_CACHE_TTL_MS);
    await v.verify(rsa.sign(claims({ exp: NOW_S + 7200 })));
    expect(fetch.count("https://keys.example.com/jwks.json")).toBe(2);
  });

  test("concurrent verifications share one JWKS fetch", async () => {
    const fetch = new FakeFetch().serve(
      "https://keys.example.com/jwks.json",
      jwksOf(rsa),
    );
    const v = verifier(
      [customRsa({ jwks: "https://keys.example.com/jwks.json" })],
      fetch,
    );
    await Promise.all(
      [1, 2, 3, 4].map((n) => v.verify(rsa.sign(claims({ sub: `u${n}` })))),
    );
    expect(fetch.requests).toHaveLength(1);
  });

  test("an unknown kid refetches the JWKS (key rotation), at most once per interval", async () => {
    const rotated = createTestIssuer("RS256", "rotated-key");
    let published = jwksOf(rsa);
    const url = "https://keys.example.com/jwks.json";
    const fetch = new FakeFetch().serve(url, () => ({
      status: 200,
      body: published,
    }));
    const time = clock();
    const v = verifier([customRsa({ jwks: url })], fetch, time);
    await v.verify(rsa.sign(claims()));
    published = jwksOf(rsa, rotated);
    time.advance(MIN_REFETCH_INTERVAL_MS);
    await expect(v.verify(rotated.sign(claims()))).resolves.toBeDefined();
    expect(fetch.count(url)).toBe(2);
    const forged = createTestIssuer("RS256", "made-up-key");
    await expectRejected(
      v.verify(forged.sign(claims())),
      "invalid",
      "InvalidAuthHeader",
    );
    expect(fetch.count(url)).toBe(2);
  });

  test("a token without a kid is refused", async () => {
    const v = verifier([customRsa()]);
    await expectRejected(
      v.verify(rsa.sign(claims(), { kid: undefined })),
      "invalid",
      "InvalidAuthHeader",
      "Could not decode token. JWT may be missing a 'kid' (key ID) header.",
    );
  });

  test("a kid missing from the JWKS is named in the error", async () => {
    const v = verifier([customRsa()]);
    await expectRejected(
      v.verify(rsa.sign(claims(), { kid: "other" })),
      "invalid",
      "InvalidAuthHeader",
      "Could not decode token. The JWT's 'kid' (key ID) header is 'other', does this key match any key in the provider's JWKS?",
    );
  });

  test("a tampered payload or a foreign key's signature fails the signature check", async () => {
    const v = verifier([customRsa()]);
    const [header, , signature] = rsa.sign(claims()).split(".");
    const tampered = `${header}.${encodeSegment(claims({ sub: "admin" }))}.${signature}`;
    await expectRejected(v.verify(tampered), "invalid", "InvalidAuthHeader");
    const impostor = createTestIssuer("RS256", rsa.kid);
    await expectRejected(
      v.verify(impostor.sign(claims())),
      "invalid",
      "InvalidAuthHeader",
    );
  });

  test("a token in another algorithm than the provider's is refused, including none and HS256", async () => {
    const v = verifier([customRsa({ jwks: jwksDataUri(jwksOf(rsa, ec)) })]);
    await expectRejected(
      v.verify(ec.sign(claims())),
      "invalid",
      "InvalidAuthHeader",
    );
    const unsigned = `${encodeSegment({ alg: "none", kid: rsa.kid })}.${encodeSegment(claims())}.`;
    await expectRejected(v.verify(unsigned), "invalid", "InvalidAuthHeader");
    // Algorithm confusion: an HMAC keyed with the public key must not pass as RS256.
    const input = `${encodeSegment({ alg: "HS256", kid: rsa.kid })}.${encodeSegment(claims())}`;
    const mac = createHmac("sha256", JSON.stringify(rsa.publicJwk))
      .update(input)
      .digest("base64url");
    await expectRejected(
      v.verify(`${input}.${mac}`),
      "invalid",
      "InvalidAuthHeader",
    );
  });

  test("an ES256 signature must be raw r‖s, not DER", async () => {
    const v = verifier([
      customRsa({ algorithm: "ES256", jwks: jwksDataUri(jwksOf(ec)) }),
    ]);
    await expect(v.verify(ec.sign(claims()))).resolves.toBeDefined();
    const [input1, input2, raw] = ec.sign(claims()).split(".");
    const der = Buffer.concat([
      Buffer.from([0x30, 0x44, 0x02, 0x20]),
      Buffer.from(raw as string, "base64url"),
    ]);
    await expectRejected(
      v.verify(`${input1}.${input2}.${der.toString("base64url")}`),
      "invalid",
      "InvalidAuthHeader",
    );
  });

  test("an expired token is told apart, beyond a small leeway", async () => {
    const v = verifier([customRsa()]);
    await expect(
      v.verify(rsa.sign(claims({ exp: NOW_S - CLOCK_SKEW_LEEWAY_S }))),
    ).resolves.toBeDefined();
    await expectRejected(
      v.verify(rsa.sign(claims({ exp: NOW_S - CLOCK_SKEW_LEEWAY_S - 1 }))),
      "expired",
      "InvalidAuthHeader",
      "Could not validate token: Token expired",
    );
  });

  test("nbf and iat in the future are refused beyond the leeway", async () => {
    const v = verifier([customRsa()]);
    await expect(
      v.verify(rsa.sign(claims({ nbf: NOW_S + CLOCK_SKEW_LEEWAY_S }))),
    ).resolves.toBeDefined();
    await expectRejected(
      v.verify(rsa.sign(claims({ nbf: NOW_S + 60 }))),
      "invalid",
      "InvalidAuthHeader",
      "Could not validate token: Token not yet valid",
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ iat: NOW_S + 60 }))),
      "invalid",
      "InvalidAuthHeader",
      "Could not validate token: Token issued in the future",
    );
  });

  test("sub and exp are required; iat is not", async () => {
    const v = verifier([customRsa()]);
    await expectRejected(
      v.verify(rsa.sign(claims({ sub: undefined }))),
      "malformed",
      "InvalidAuthHeader",
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ sub: 42 }))),
      "malformed",
      "InvalidAuthHeader",
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ exp: undefined }))),
      "malformed",
      "InvalidAuthHeader",
    );
    await expect(
      v.verify(rsa.sign(claims({ iat: undefined }))),
    ).resolves.toBeDefined();
  });

  test("with applicationID, aud must be it or contain it; without, aud is not checked", async () => {
    const strict = verifier([customRsa()]);
    await expect(
      strict.verify(rsa.sign(claims({ aud: ["other", "my-app"] }))),
    ).resolves.toBeDefined();
    await expectRejected(
      strict.verify(rsa.sign(claims({ aud: "other" }))),
      "noProvider",
      "NoAuthProvider",
    );
    await expectRejected(
      strict.verify(rsa.sign(claims({ aud: undefined }))),
      "noProvider",
      "NoAuthProvider",
    );
    const lax = verifier([customRsa({ applicationID: undefined })]);
    await expect(
      lax.verify(rsa.sign(claims({ aud: undefined }))),
    ).resolves.toBeDefined();
    await expect(
      lax.verify(rsa.sign(claims({ aud: "anything" }))),
    ).resolves.toBeDefined();
  });

  test("the issuer matches ignoring trailing slashes, and the token's iss is what identity shows", async () => {
    const v = verifier([customRsa({ issuer: `${ISSUER}/` })]);
    const { identity } = await v.verify(rsa.sign(claims()));
    expect(identity.tokenIdentifier).toBe(`${ISSUER}|user-1`);
    const other = verifier([customRsa()]);
    const slashed = await other.verify(rsa.sign(claims({ iss: `${ISSUER}/` })));
    expect(slashed.identity.issuer).toBe(`${ISSUER}/`);
    expect(slashed.identity.tokenIdentifier).toBe(`${ISSUER}/|user-1`);
  });

  test("a JWKS URL that fails to load is reported as unavailable", async () => {
    const fetch = new FakeFetch()
      .serve("https://keys.example.com/missing", () => ({
        status: 404,
        body: {},
      }))
      .serve("https://keys.example.com/not-jwks", { hello: "world" })
      .serve("https://keys.example.com/down", () =>
        Promise.reject(new Error("ECONNREFUSED")),
      );
    for (const [path, detail] of [
      ["missing", "HTTP 404"],
      ["not-jwks", "the response is not a JWKS"],
      ["down", "ECONNREFUSED"],
    ] as const) {
      const v = verifier(
        [customRsa({ jwks: `https://keys.example.com/${path}` })],
        fetch,
      );
      const r = await rejection(v.verify(rsa.sign(claims())));
      expect(r).toMatchObject({
        code: "Unauthenticated",
        shortMsg: "InvalidAuthHeader",
        failure: "providerUnavailable",
      });
      expect(r.message).toContain(
        `Could not fetch JWKS from URL 'https://keys.example.com/${path}': ${detail}`,
      );
    }
  });

  test("a failed JWKS fetch is not cached", async () => {
    let up = false;
    const url = "https://keys.example.com/flaky";
    const fetch = new FakeFetch().serve(url, () =>
      up ? { status: 200, body: jwksOf(rsa) } : { status: 503, body: {} },
    );
    const v = verifier([customRsa({ jwks: url })], fetch);
    await expectRejected(
      v.verify(rsa.sign(claims())),
      "providerUnavailable",
      "InvalidAuthHeader",
    );
    up = true;
    await expect(v.verify(rsa.sign(claims()))).resolves.toBeDefined();
  });

  test("an undecodable data: URI is reported as such", async () => {
    for (const jwks of [
      "data:application/json;base64,!!!",
      "data:,%7Bnot json",
      "data:,%7B%7D",
      "data:nocomma",
    ]) {
      const v = verifier([customRsa({ jwks })]);
      await expectRejected(
        v.verify(rsa.sign(claims())),
        "providerUnavailable",
        "InvalidAuthHeader",
        "Invalid JWKS data URL. Check that the data URL is properly formatted and contains valid base64-encoded JSON.",
      );
    }
  });
});

describe("createJwtVerifier: provider selection and malformed tokens", () => {
  test.each([
    ["not a jwt"],
    ["a.b"],
    ["a.b.c.d"],
    [`${encodeSegment({ alg: "RS256" })}.bm90IGpzb24.sig`],
    [`${encodeSegment({ alg: "RS256" })}.${encodeSegment([1, 2])}.sig`],
    [
      `${encodeSegment({ alg: "RS256" })}.${encodeSegment(claims())}.sig+with/plain=base64`,
    ],
  ])("%j does not parse", async (token) => {
    await expectRejected(
      verifier([customRsa()]).verify(token),
      "malformed",
      "InvalidAuthHeader",
      "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.",
    );
  });

  test("a token without iss is refused before any provider is consulted", async () => {
    await expectRejected(
      verifier([customRsa()]).verify(rsa.sign(claims({ iss: undefined }))),
      "malformed",
      "InvalidAuthHeader",
      "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.",
    );
  });

  test("no matching provider lists the configured ones", async () => {
    const v = verifier([
      {
        type: "oidc",
        domain: "https://clerk.example.dev",
        applicationID: "convex",
      },
      customRsa({
        applicationID: undefined,
        issuer: "https://other.example.com",
      }),
    ]);
    await expectRejected(
      v.verify(rsa.sign(claims())),
      "noProvider",
      "NoAuthProvider",
      "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [OIDC(domain=https://clerk.example.dev, app_id=convex), CustomJWT(issuer=https://other.example.com, app_id=none)]",
    );
  });

  test("with no providers configured, the error says so", async () => {
    await expectRejected(
      verifier([]).verify(rsa.sign(claims())),
      "noProvider",
      "NoAuthProvider",
      "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.",
    );
  });

  test("the first provider matching issuer and audience is used", async () => {
    const v = verifier([
      customRsa({
        applicationID: "another-app",
        jwks: jwksDataUri(jwksOf(ec)),
      }),
      customRsa(),
    ]);
    await expect(v.verify(rsa.sign(claims()))).resolves.toBeDefined();
  });
});

describe("createJwtVerifier: OIDC providers", () => {
  const oidc: AuthProvider = {
    type: "oidc",
    domain: ISSUER,
    applicationID: "my-app",
  };

  test("keys come from discovery and jwks_uri; standard claims are camel-cased", async () => {
    const fetch = new FakeFetch().serveOidc(ISSUER, () => jwksOf(rsa));
    const v = verifier([oidc], fetch);
    const { identity } = await v.verify(
      rsa.sign(
        claims({
          email: "ada@example.com",
          email_verified: true,
          given_name: "Ada",
          nonce: "n",
        }),
      ),
    );
    expect(identity).toEqual({
      tokenIdentifier: `${ISSUER}|user-1`,
      subject: "user-1",
      issuer: ISSUER,
      email: "ada@example.com",
      emailVerified: true,
      givenName: "Ada",
    });
    await v.verify(rsa.sign(claims({ sub: "user-2" })));
    expect(fetch.requests).toEqual([
      `${ISSUER}/.well-known/openid-configuration`,
      `${ISSUER}/.well-known/jwks.json`,
    ]);
  });

  test("ES256 and EdDSA keys verify too, and a token without kid uses the fitting key", async () => {
    const fetch = new FakeFetch().serveOidc(ISSUER, () => jwksOf(rsa, ec, ed));
    const v = verifier([oidc], fetch);
    await expect(v.verify(ec.sign(claims()))).resolves.toBeDefined();
    await expect(v.verify(ed.sign(claims()))).resolves.toBeDefined();
    await expect(
      v.verify(rsa.sign(claims(), { kid: undefined })),
    ).resolves.toBeDefined();
  });

  test("Auth0-style issuers with a trailing slash match a domain without one", async () => {
    const fetch = new FakeFetch().serveOidc(`${ISSUER}/`, () => jwksOf(rsa));
    const v = verifier([oidc], fetch);
    const { identity } = await v.verify(
      rsa.sign(claims({ iss: `${ISSUER}/` })),
    );
    expect(identity.tokenIdentifier).toBe(`${ISSUER}/|user-1`);
  });

  test("every OIDC failure reads like Convex's, and expiry is told apart", async () => {
    const message =
      "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired.";
    const v = verifier(
      [oidc],
      new FakeFetch().serveOidc(ISSUER, () => jwksOf(rsa)),
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ exp: NOW_S - 60 }))),
      "expired",
      "Unauthenticated",
      message,
    );
    await expectRejected(
      v.verify(createTestIssuer("RS256", rsa.kid).sign(claims())),
      "invalid",
      "Unauthenticated",
      message,
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ aud: ["my-app", "other"] }))),
      "invalid",
      "Unauthenticated",
      message,
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ iat: undefined }))),
      "malformed",
      "Unauthenticated",
      message,
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ exp: undefined }))),
      "malformed",
      "Unauthenticated",
      message,
    );
    await expectRejected(
      v.verify(rsa.sign(claims(), { alg: "PS256" })),
      "invalid",
      "Unauthenticated",
      message,
    );
  });

  test("a wrong audience finds no provider", async () => {
    const v = verifier(
      [oidc],
      new FakeFetch().serveOidc(ISSUER, () => jwksOf(rsa)),
    );
    await expectRejected(
      v.verify(rsa.sign(claims({ aud: "other" }))),
      "noProvider",
      "NoAuthProvider",
    );
  });

  test("discovery that fails or names another issuer is reported", async () => {
    const down = verifier([oidc], new FakeFetch());
    const r = await rejection(down.verify(rsa.sign(claims())));
    expect(r).toMatchObject({
      shortMsg: "AuthProviderDiscoveryFailed",
      failure: "providerUnavailable",
    });
    expect(r.message).toBe(
      `Auth provider discovery of ${ISSUER} failed: HTTP 404`,
    );
    const imposter = verifier(
      [oidc],
      new FakeFetch().serveOidc(
        ISSUER,
        () => jwksOf(rsa),
        "https://evil.example.com",
      ),
    );
    await expectRejected(
      imposter.verify(rsa.sign(claims())),
      "providerUnavailable",
      "AuthProviderDiscoveryFailed",
    );
  });
});
