import { describe, expect, test } from "vitest";
import {
  createTestIssuer,
  jwksDataUri,
  jwksOf,
} from "../auth/jwt/jwt-issuer.test-support.js";
import { UserTokens } from "./user-tokens.js";

const NOW_MS = 1_763_000_000_000;
const clock = { now: () => NOW_MS };
const noFetch = (): Promise<Response> =>
  Promise.reject(new Error("no network in this test"));

function providerFor(issuer: string, jwks: unknown) {
  return {
    type: "customJwt",
    issuer,
    jwks: jwksDataUri(jwks),
    algorithm: "RS256",
    applicationID: "app",
  };
}

function claims(issuer: string, subject: string) {
  const nowS = NOW_MS / 1000;
  return { iss: issuer, sub: subject, aud: "app", iat: nowS, exp: nowS + 60 };
}

describe("UserTokens", () => {
  test("verifies against the active providers and follows a change of providers", async () => {
    const first = createTestIssuer("RS256", "k1");
    const second = createTestIssuer("RS256", "k2");
    let providers: unknown[] | null = [
      providerFor("https://one.test", jwksOf(first)),
    ];
    const tokens = new UserTokens({
      providers: () => providers,
      fetch: noFetch,
      clock,
    });
    const token1 = first.sign(claims("https://one.test", "u1"));
    expect((await tokens.verify(token1)).identity).toMatchObject({
      tokenIdentifier: "https://one.test|u1",
    });
    expect((await tokens.verify(token1)).expiresAtMs).toBe(NOW_MS + 60_000);

    providers = [providerFor("https://two.test", jwksOf(second))];
    await expect(tokens.verify(token1)).rejects.toMatchObject({
      code: "Unauthenticated",
    });
    const token2 = second.sign(claims("https://two.test", "u2"));
    expect((await tokens.verify(token2)).identity).toMatchObject({
      subject: "u2",
    });
  });

  test("rejects every token before a deploy or without providers", async () => {
    const issuer = createTestIssuer("RS256");
    const tokens = new UserTokens({
      providers: () => null,
      fetch: noFetch,
      clock,
    });
    await expect(
      tokens.verify(issuer.sign(claims("https://one.test", "u1"))),
    ).rejects.toMatchObject({ code: "Unauthenticated" });
  });
});
