/**
 * Conformance: appends, atomicity, conflict strategies, globals and large rows.
 */
import { expect } from "vitest";
import { PERSISTENCE_CONFLICT, type Persistence } from "./persistence.js";
import {
  ALL,
  bytes,
  doc,
  entry,
  hex,
  load,
  plainDoc,
  scan,
  scanKeys,
  type SuiteContext,
} from "./persistence-suite-support.js";

export function describeWriteSuite({ test }: SuiteContext): void {
  test("an empty store has no maxTs, documents, index entries or globals", async (p) => {
    const r = p.reader();
    expect(await r.maxTs()).toBeNull();
    expect(await load(r, 0n, null)).toEqual([]);
    expect(await r.getDocument("t", "a", 100n)).toBeNull();
    expect(await scan(r, "i", 100n, ALL)).toEqual([]);
    expect(await r.getGlobal("anything")).toBeNull();
  });

  test("maxTs is the largest document ts written, whatever the write order", async (p) => {
    await p.write(
      { documents: [doc("t", "a", 20n, { n: 1 })], indexes: [] },
      "Error",
    );
    expect(await p.reader().maxTs()).toBe(20n);
    await p.write(
      { documents: [doc("t", "b", 10n, { n: 2 })], indexes: [] },
      "Error",
    );
    expect(await p.reader().maxTs()).toBe(20n);
    await p.write(
      { documents: [doc("t", "a", 30n, null, 20n)], indexes: [] },
      "Error",
    );
    expect(await p.reader().maxTs()).toBe(30n);
  });

  test("a write with many rows and several timestamps is visible as a whole", async (p) => {
    const documents = [
      doc("t", "a", 5n, { v: "a" }),
      doc("t", "b", 6n, { v: "b" }),
    ];
    const indexes = [
      entry("i", bytes(1), 5n, false, "t", "a"),
      entry("i", bytes(2), 6n, false, "t", "b"),
      entry("j", bytes(9), 6n, false, "t", "b"),
    ];
    await p.write({ documents, indexes }, "Error");
    const r = p.reader();
    expect(await load(r, 0n, null)).toEqual(documents.map((d) => plainDoc(d)));
    expect(await scanKeys(r, "i", 6n, ALL)).toEqual(["01", "02"]);
    expect(await scanKeys(r, "j", 6n, ALL)).toEqual(["09"]);
  });

  test("a write repeating a stored document row under Error rejects and leaves nothing", async (p) => {
    await p.write(
      { documents: [doc("t", "a", 5n, { v: 1 })], indexes: [] },
      "Error",
    );
    const failing = p.write(
      {
        documents: [doc("t", "b", 6n, { v: 2 }), doc("t", "a", 5n, { v: 3 })],
        indexes: [entry("i", bytes(1), 6n, false, "t", "b")],
      },
      "Error",
    );
    await expect(failing).rejects.toMatchObject({
      shortMsg: PERSISTENCE_CONFLICT,
    });
    await expectOnlyFirstWrite(p);
  });

  test("a write repeating a stored index row under Error rejects and leaves nothing", async (p) => {
    await p.write(
      {
        documents: [doc("t", "a", 5n, { v: 1 })],
        indexes: [entry("i", bytes(1), 5n, false, "t", "a")],
      },
      "Error",
    );
    const failing = p.write(
      {
        documents: [doc("t", "b", 6n, { v: 2 })],
        indexes: [
          entry("i", bytes(2), 6n, false, "t", "b"),
          entry("i", bytes(1), 5n, true, "t", "a"),
        ],
      },
      "Error",
    );
    await expect(failing).rejects.toMatchObject({
      shortMsg: PERSISTENCE_CONFLICT,
    });
    await expectOnlyFirstWrite(p);
    expect(await scanKeys(p.reader(), "i", 10n, ALL)).toEqual(["01"]);
  });

  test("a write holding the same row twice under Error rejects and leaves nothing", async (p) => {
    const failing = p.write(
      {
        documents: [doc("t", "a", 5n, { v: 1 }), doc("t", "a", 5n, { v: 2 })],
        indexes: [],
      },
      "Error",
    );
    await expect(failing).rejects.toMatchObject({
      shortMsg: PERSISTENCE_CONFLICT,
    });
    expect(await p.reader().maxTs()).toBeNull();
    expect(await load(p.reader(), 0n, null)).toEqual([]);
  });

  test("writes keep working after a rejected write", async (p) => {
    await p.write(
      { documents: [doc("t", "a", 5n, { v: 1 })], indexes: [] },
      "Error",
    );
    await expect(
      p.write(
        { documents: [doc("t", "a", 5n, { v: 1 })], indexes: [] },
        "Error",
      ),
    ).rejects.toThrow();
    await p.write(
      { documents: [doc("t", "a", 7n, { v: 2 }, 5n)], indexes: [] },
      "Error",
    );
    expect((await p.reader().getDocument("t", "a", 7n))?.value).toBe('{"v":2}');
  });

  test("Overwrite replaces stored document and index rows and appends new ones", async (p) => {
    await p.write(
      {
        documents: [doc("t", "a", 5n, { v: 1 })],
        indexes: [entry("i", bytes(1), 5n, false, "t", "a")],
      },
      "Error",
    );
    await p.write(
      {
        documents: [doc("t", "a", 5n, { v: 2 }), doc("t", "b", 5n, { v: 3 })],
        indexes: [
          entry("i", bytes(1), 5n, false, "t", "b"),
          entry("i", bytes(2), 5n, false, "t", "a"),
        ],
      },
      "Overwrite",
    );
    const r = p.reader();
    expect(await load(r, 0n, null)).toEqual([
      plainDoc(doc("t", "a", 5n, { v: 2 })),
      plainDoc(doc("t", "b", 5n, { v: 3 })),
    ]);
    const entries = await scan(r, "i", 5n, ALL);
    expect(
      entries.map((e) => [e.key, e.document.id, e.document.value]),
    ).toEqual([
      ["01", "b", '{"v":3}'],
      ["02", "a", '{"v":2}'],
    ]);
  });

  test("concurrent writes at distinct timestamps all land", async (p) => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        p.write(
          {
            documents: [doc("t", `d${i}`, BigInt(i + 1), { i })],
            indexes: [entry("i", bytes(i), BigInt(i + 1), false, "t", `d${i}`)],
          },
          "Error",
        ),
      ),
    );
    const r = p.reader();
    expect(await r.maxTs()).toBe(20n);
    expect((await load(r, 0n, null)).length).toBe(20);
    expect((await scan(r, "i", 20n, ALL)).length).toBe(20);
  });

  test("globals round-trip JSON values and are replaced by later writes", async (p) => {
    const value = {
      a: [1, 2.5, "x", true, null],
      b: { nested: "é😀\u0000" },
      c: -0.125,
    };
    await p.writeGlobal("g", value);
    await p.writeGlobal("n", 42);
    expect(await p.reader().getGlobal("g")).toEqual(value);
    expect(await p.reader().getGlobal("n")).toBe(42);
    await p.writeGlobal("g", "replaced");
    expect(await p.reader().getGlobal("g")).toBe("replaced");
    await p.writeGlobal("g", [{ deep: [[]] }]);
    expect(await p.reader().getGlobal("g")).toEqual([{ deep: [[]] }]);
    expect(await p.reader().getGlobal("missing")).toBeNull();
  });

  test("a 1 MiB document and a 4 KiB index key round-trip unchanged", async (p) => {
    const big = { s: "x".repeat(1024 * 1024), u: "ünï😀".repeat(1000) };
    const key = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    const d = doc("t", "big", 9n, big);
    await p.write(
      { documents: [d], indexes: [entry("i", key, 9n, false, "t", "big")] },
      "Error",
    );
    const r = p.reader();
    expect((await r.getDocument("t", "big", 9n))?.value).toBe(d.value);
    const [e] = await scan(r, "i", 9n, ALL);
    expect(e?.key).toBe(hex(key));
    expect(e?.document.value).toBe(d.value);
  });

  test("written byte strings are copied, so callers may reuse their buffers", async (p) => {
    const key = bytes(1, 2, 3);
    await p.write(
      {
        documents: [doc("t", "a", 1n, {})],
        indexes: [entry("i", key, 1n, false, "t", "a")],
      },
      "Error",
    );
    key.fill(9);
    expect(await scanKeys(p.reader(), "i", 1n, ALL)).toEqual(["010203"]);
  });
}

async function expectOnlyFirstWrite(p: Persistence): Promise<void> {
  const r = p.reader();
  expect(await r.maxTs()).toBe(5n);
  expect(await load(r, 0n, null)).toEqual([
    plainDoc(doc("t", "a", 5n, { v: 1 })),
  ]);
  expect(await r.getDocument("t", "b", 10n)).toBeNull();
}
