import { describe, expect, test } from "vitest";
import {
  checkAdminKey,
  generateInstanceSecret,
  isInstanceSecret,
  issueAdminKey,
} from "./admin-key.js";

function counterBytes(): (n: number) => Uint8Array {
  let next = 0;
  return (n) => Uint8Array.from({ length: n }, () => next++ % 256);
}

const credentials = {
  instanceName: "hull",
  instanceSecret: generateInstanceSecret(counterBytes()),
};
const nowMs = 1_763_000_000_000;

describe("admin keys", () => {
  test("a generated secret is 64 hex characters", () => {
    expect(credentials.instanceSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(isInstanceSecret(credentials.instanceSecret)).toBe(true);
    expect(isInstanceSecret("abc")).toBe(false);
    expect(isInstanceSecret("g".repeat(64))).toBe(false);
  });

  test("an issued key has the form <instance-name>|<hex> and verifies", () => {
    const key = issueAdminKey(credentials, {
      nowMs,
      randomBytes: counterBytes(),
    });
    expect(key).toMatch(/^hull\|[0-9a-f]+$/);
    expect(checkAdminKey(key, credentials)).toBe(true);
  });

  test("two keys issued at the same second differ and both verify", () => {
    const random = counterBytes();
    const a = issueAdminKey(credentials, { nowMs, randomBytes: random });
    const b = issueAdminKey(credentials, { nowMs, randomBytes: random });
    expect(a).not.toBe(b);
    expect(checkAdminKey(a, credentials)).toBe(true);
    expect(checkAdminKey(b, credentials)).toBe(true);
  });

  test("a key with a prod: or dev: type prefix verifies", () => {
    const key = issueAdminKey(credentials, {
      nowMs,
      randomBytes: counterBytes(),
    });
    expect(checkAdminKey(`prod:${key}`, credentials)).toBe(true);
    expect(checkAdminKey(`dev:${key}`, credentials)).toBe(true);
  });

  test("a key from another secret, another name, or with a flipped bit is refused", () => {
    const key = issueAdminKey(credentials, {
      nowMs,
      randomBytes: counterBytes(),
    });
    const otherSecret = { ...credentials, instanceSecret: "ab".repeat(32) };
    expect(checkAdminKey(key, otherSecret)).toBe(false);
    expect(checkAdminKey(key, { ...credentials, instanceName: "other" })).toBe(
      false,
    );
    expect(checkAdminKey(key.replace(/^hull/, "other"), credentials)).toBe(
      false,
    );
    const last = key.at(-1) === "0" ? "1" : "0";
    expect(checkAdminKey(key.slice(0, -1) + last, credentials)).toBe(false);
  });

  test("malformed keys are refused without throwing", () => {
    for (const bad of [
      "",
      "hull",
      "hull|",
      "hull|zz",
      "hull|00",
      "|",
      "hull|" + "0".repeat(114),
    ]) {
      expect(checkAdminKey(bad, credentials)).toBe(false);
    }
  });
});
