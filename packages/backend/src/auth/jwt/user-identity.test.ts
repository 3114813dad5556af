import { describe, expect, test } from "vitest";
import { toUserIdentity } from "./user-identity.js";

const base = { iss: "https://issuer.example.com", sub: "user|42" };

describe("toUserIdentity", () => {
  test("tokenIdentifier is `${iss}|${sub}`, beside subject and issuer", () => {
    expect(toUserIdentity(base, "oidc")).toEqual({
      tokenIdentifier: "https://issuer.example.com|user|42",
      subject: "user|42",
      issuer: "https://issuer.example.com",
    });
  });

  test("every OpenID standard claim gets its camelCase field", () => {
    const identity = toUserIdentity(
      {
        ...base,
        name: "Ada Lovelace",
        given_name: "Ada",
        family_name: "Lovelace",
        nickname: "ada",
        preferred_username: "ada.l",
        profile: "https://example.com/ada",
        picture: "https://example.com/ada.png",
        website: "https://ada.example.com",
        email: "ada@example.com",
        email_verified: true,
        gender: "female",
        birthdate: "1815-12-10",
        zoneinfo: "Europe/London",
        locale: "en-GB",
        phone_number: "+44 20 0000 0000",
        phone_number_verified: false,
        address: { formatted: "12 St James's Square, London", country: "UK" },
        updated_at: 1_700_000_000,
      },
      "oidc",
    );
    expect(identity).toEqual({
      tokenIdentifier: "https://issuer.example.com|user|42",
      subject: "user|42",
      issuer: "https://issuer.example.com",
      name: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      nickname: "ada",
      preferredUsername: "ada.l",
      profileUrl: "https://example.com/ada",
      pictureUrl: "https://example.com/ada.png",
      websiteUrl: "https://ada.example.com",
      email: "ada@example.com",
      emailVerified: true,
      gender: "female",
      birthday: "1815-12-10",
      timezone: "Europe/London",
      language: "en-GB",
      phoneNumber: "+44 20 0000 0000",
      phoneNumberVerified: false,
      address: "12 St James's Square, London",
      updatedAt: "2023-11-14T22:13:20+00:00",
    });
  });

  test("updated_at keeps milliseconds when it has them, and strings as they are", () => {
    expect(
      toUserIdentity({ ...base, updated_at: 1_700_000_000.5 }, "oidc")
        .updatedAt,
    ).toBe("2023-11-14T22:13:20.500+00:00");
    expect(
      toUserIdentity({ ...base, updated_at: "2024-01-01T00:00:00Z" }, "oidc")
        .updatedAt,
    ).toBe("2024-01-01T00:00:00Z");
  });

  test("verified flags sent as strings become booleans; other mistyped standard claims are dropped", () => {
    const identity = toUserIdentity(
      {
        ...base,
        email_verified: "true",
        phone_number_verified: "false",
        email: 42,
        address: { street: "x" },
      },
      "oidc",
    );
    expect(identity.emailVerified).toBe(true);
    expect(identity.phoneNumberVerified).toBe(false);
    expect(identity).not.toHaveProperty("email");
    expect(identity).not.toHaveProperty("address");
    expect(
      toUserIdentity({ ...base, email_verified: "yes" }, "oidc"),
    ).not.toHaveProperty("emailVerified");
  });

  test("custom claims keep their JSON types", () => {
    const identity = toUserIdentity(
      {
        ...base,
        role: "admin",
        level: 3,
        beta: true,
        groups: ["a", "b"],
        manager: null,
        ratio: 0.5,
      },
      "customJwt",
    );
    expect(identity).toMatchObject({
      role: "admin",
      level: 3,
      beta: true,
      groups: ["a", "b"],
      manager: null,
      ratio: 0.5,
    });
  });

  test("nested objects stay objects for OIDC and become dotted keys for custom JWTs", () => {
    const claims = {
      ...base,
      properties: {
        id: "123",
        favoriteColor: "red",
        deep: { x: 1 },
        list: [1],
      },
    };
    expect(toUserIdentity(claims, "oidc").properties).toEqual(
      claims.properties,
    );
    const custom = toUserIdentity(claims, "customJwt");
    expect(custom).toMatchObject({
      "properties.id": "123",
      "properties.favoriteColor": "red",
      "properties.deep.x": 1,
      "properties.list": [1],
    });
    expect(custom).not.toHaveProperty("properties");
  });

  test("registered claims are dropped; OIDC protocol claims only for OIDC tokens", () => {
    const claims = {
      ...base,
      aud: "app",
      exp: 2,
      iat: 1,
      nbf: 1,
      jti: "id",
      nonce: "n",
      auth_time: 1,
      azp: "app",
      at_hash: "h",
    };
    expect(Object.keys(toUserIdentity(claims, "oidc")).sort()).toEqual([
      "issuer",
      "subject",
      "tokenIdentifier",
    ]);
    expect(toUserIdentity(claims, "customJwt")).toMatchObject({
      nonce: "n",
      auth_time: 1,
      azp: "app",
      at_hash: "h",
    });
    expect(toUserIdentity(claims, "customJwt")).not.toHaveProperty("jti");
  });

  test("custom claims cannot overwrite identity fields", () => {
    const identity = toUserIdentity(
      {
        ...base,
        tokenIdentifier: "forged",
        subject: "forged",
        givenName: "forged",
        given_name: "Ada",
      },
      "oidc",
    );
    expect(identity).toMatchObject({
      tokenIdentifier: "https://issuer.example.com|user|42",
      subject: "user|42",
      givenName: "Ada",
    });
  });
});
