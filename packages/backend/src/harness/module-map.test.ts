import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  discoverModules,
  entryModules,
  findModulesRoot,
  toRuntimePath,
} from "./module-map.js";

const load = () => Promise.resolve({});

describe("findModulesRoot", () => {
  test("the root is the prefix in front of _generated", () => {
    expect(
      findModulesRoot({
        "../convex/messages.ts": load,
        "../convex/_generated/api.js": load,
      }),
    ).toBe("../convex/");
    expect(findModulesRoot({ "./_generated/server.ts": load })).toBe("./");
  });

  test("a map without _generated fails with convex-test's hint", () => {
    expect(() => findModulesRoot({ "./messages.ts": load })).toThrow(
      'Could not find the "_generated" directory',
    );
  });
});

describe("entryModules", () => {
  test("keys modules by runtime path and skips what the CLI does not bundle", () => {
    const entries = entryModules({
      "./convex/_generated/api.ts": load,
      "./convex/messages.ts": load,
      "./convex/lib/util.ts": load,
      "./convex/schema.ts": load,
      "./convex/messages.test.ts": load,
      "./convex/auth.config.ts": load,
      "./convex/.hidden.ts": load,
      "./convex/types.d.ts": load,
      "./other/outside.ts": load,
    });
    expect([...entries.keys()].sort()).toEqual(["lib/util.js", "messages.js"]);
  });

  test("toRuntimePath maps extensions to .js", () => {
    expect(toRuntimePath("dir/mod.tsx")).toBe("dir/mod.js");
    expect(toRuntimePath("notes.md")).toBeNull();
    expect(toRuntimePath("with space.ts")).toBeNull();
  });
});

describe("discoverModules", () => {
  test("finds convex/ (or convex.json's functions) under the working directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "hull-harness-"));
    try {
      mkdirSync(join(dir, "src", "fns", "_generated"), { recursive: true });
      writeFileSync(join(dir, "src", "fns", "_generated", "api.js"), "");
      writeFileSync(join(dir, "src", "fns", "tasks.ts"), "export {};");
      writeFileSync(
        join(dir, "convex.json"),
        JSON.stringify({ functions: "src/fns/" }),
      );
      const map = discoverModules(dir);
      expect(Object.keys(map).sort()).toEqual([
        "./_generated/api.js",
        "./tasks.ts",
      ]);
      expect([...entryModules(map).keys()]).toEqual(["tasks.js"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a project without _generated fails with the default-discovery hint", () => {
    const dir = mkdtempSync(join(tmpdir(), "hull-harness-"));
    try {
      mkdirSync(join(dir, "convex"));
      expect(() => discoverModules(dir)).toThrow(
        "provide the second argument to `convexTest`",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
