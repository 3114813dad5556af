import { describe, expect, test } from "vitest";
import { encodeIndexKey } from "../../values/index-key.js";
import { createCursorCodec, FINGERPRINT_BYTES, type Cursor } from "./cursor.js";

const secret = new Uint8Array(32).fill(7);
const fingerprint = new Uint8Array(FINGERPRINT_BYTES).fill(3);
const after: Cursor = {
  position: { type: "after", key: encodeIndexKey(["secret value", 12n, "id"]) },
  fingerprint,
};
const end: Cursor = { position: { type: "end" }, fingerprint };

describe("createCursorCodec", () => {
  test("round-trips after and end positions", () => {
    const codec = createCursorCodec(secret);
    expect(codec.decode(codec.encode(after))).toEqual(after);
    expect(codec.decode(codec.encode(end))).toEqual(end);
  });

  test("is deterministic and survives a restart with the same secret", () => {
    const text = createCursorCodec(secret).encode(after);
    expect(createCursorCodec(secret).encode(after)).toBe(text);
    expect(createCursorCodec(Uint8Array.from(secret)).decode(text)).toEqual(
      after,
    );
  });

  test("produces URL-safe strings that hide the index values", () => {
    const text = createCursorCodec(secret).encode(after);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(text, "base64url").toString("latin1")).not.toContain(
      "secret value",
    );
  });

  test("rejects altered, truncated, foreign and garbage cursors as InvalidCursor", () => {
    const codec = createCursorCodec(secret);
    const text = codec.encode(after);
    const bytes = Buffer.from(text, "base64url");
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 1] = (flipped[bytes.length - 1] ?? 0) ^ 1;
    const foreign = createCursorCodec(new Uint8Array(32).fill(8)).encode(after);
    for (const bad of [
      flipped.toString("base64url"),
      bytes.subarray(0, 10).toString("base64url"),
      foreign,
      "",
      "not a cursor at all",
    ]) {
      expect(() => codec.decode(bad)).toThrow(
        expect.objectContaining({
          code: "BadRequest",
          shortMsg: "InvalidCursor",
        }),
      );
    }
  });

  test("requires a secret of at least 16 bytes", () => {
    expect(() => createCursorCodec(new Uint8Array(8))).toThrow();
  });
});
