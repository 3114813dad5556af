import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareKeys, encodeIndexKey } from "../values/index-key.js";
import {
  ReadSet,
  indexKeyWrite,
  keySuccessor,
  keyText,
  pointInterval,
  type IndexKeyWrite,
} from "./read-set.js";

const key = (n: number): Uint8Array => encodeIndexKey([n]);
const write = (n: number): IndexKeyWrite =>
  indexKeyWrite(key(n), "t", `id${n}`);

describe("ReadSet", () => {
  test("finds writes inside point and range intervals and ignores writes outside", () => {
    const readSet = new ReadSet();
    readSet.add("i", pointInterval(key(5)));
    readSet.add("i", { start: key(10), end: key(20) });
    expect(readSet.findOverlap(new Map([["i", [write(4), write(5)]]]))).toEqual(
      write(5),
    );
    expect(readSet.overlaps(new Map([["i", [write(15)]]]))).toBe(true);
    expect(readSet.overlaps(new Map([["i", [write(20), write(6)]]]))).toBe(
      false,
    );
    expect(readSet.overlaps(new Map([["j", [write(5)]]]))).toBe(false);
  });

  test("answers the same with many intervals as with few", () => {
    const readSet = new ReadSet();
    for (let n = 0; n < 100; n += 2) readSet.add("i", pointInterval(key(n)));
    readSet.add("i", { start: key(1000), end: null });
    for (let n = 0; n < 120; n++) {
      expect(readSet.containsKey("i", key(n))).toBe(n % 2 === 0 && n < 100);
    }
    expect(readSet.containsKey("i", key(5000))).toBe(true);
  });

  test("a growing interval counts only once it is not empty", () => {
    const readSet = new ReadSet();
    const growing = {
      start: key(0),
      end: key(0) as Uint8Array | null,
      empty: true,
    };
    readSet.addGrowing("i", growing);
    expect(readSet.containsKey("i", key(0))).toBe(false);
    growing.end = keySuccessor(key(3));
    growing.empty = false;
    expect(readSet.containsKey("i", key(3))).toBe(true);
    expect(readSet.containsKey("i", key(4))).toBe(false);
    expect(readSet.intervals("i")).toHaveLength(1);
  });

  test("key texts sort exactly as the keys' bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        const text =
          keyText(a) < keyText(b) ? -1 : keyText(a) > keyText(b) ? 1 : 0;
        expect(text).toBe(Math.sign(compareKeys(a, b)));
      }),
    );
  });
});
