import { describe, expect, test } from "vitest";
import { parseAuthProviders } from "./auth-providers.js";

describe("parseAuthProviders", () => {
  test("accepts OIDC and custom JWT providers as auth.config.ts declares them", () => {
    expect(
      parseAuthProviders([
        { domain: "https://clerk.example.dev", applicationID: "convex" },
        {
          type: "customJwt",
          issuer: "https://auth.example.com",
          jwks: "https://auth.example.com/.well-known/jwks.json",
          algorithm: "RS256",
          applicationID: "app",
        },
        {
          type: "customJwt",
          issuer: "https://a.example.com",
          jwks: "data:,%7B%7D",
          algorithm: "ES256",
        },
      ]),
    ).toEqual([
      {
        type: "oidc",
        domain: "https://clerk.example.dev",
        applicationID: "convex",
      },
      {
        type: "customJwt",
        issuer: "https://auth.example.com",
        jwks: "https://auth.example.com/.well-known/jwks.json",
        algorithm: "RS256",
        applicationID: "app",
      },
      {
        type: "customJwt",
        issuer: "https://a.example.com",
        jwks: "data:,%7B%7D",
        algorithm: "ES256",
      },
    ]);
  });

  test.each([
    [[null], "Invalid auth.config.ts provider #0: expected an object"],
    [
      [{ applicationID: "x" }],
      "provider #0: `domain` must be a non-empty string, got undefined",
    ],
    [
      [{ domain: "https://a", applicationID: "" }],
      '`applicationID` must be a non-empty string, got ""',
    ],
    [[{ type: "saml", domain: "https://a" }], 'unknown provider type "saml"'],
    [
      [
        {
          type: "customJwt",
          issuer: "https://a",
          jwks: "https://a/j",
          algorithm: "HS256",
        },
      ],
      '`algorithm` must be "RS256" or "ES256", got "HS256"',
    ],
    [
      [
        {
          type: "customJwt",
          issuer: "https://a",
          jwks: "/relative",
          algorithm: "RS256",
        },
      ],
      '`jwks` must be an http(s) URL or a data: URI, got "/relative"',
    ],
    [
      [
        { domain: "https://a", applicationID: "x" },
        { type: "customJwt", jwks: "data:,{}", algorithm: "RS256" },
      ],
      "provider #1: `issuer` must be a non-empty string",
    ],
  ])("rejects %j", (providers, message) => {
    expect(() => parseAuthProviders(providers)).toThrow(message);
  });

  test("errors are BadRequest InvalidAuthConfig", () => {
    expect(() => parseAuthProviders([{}])).toThrow(
      expect.objectContaining({
        code: "BadRequest",
        shortMsg: "InvalidAuthConfig",
      }) as Error,
    );
  });
});
