import { describe, expect, test } from "vitest";
import {
  canonicalizeUdfPath,
  displayUdfPath,
  parseUdfPath,
} from "./udf-path.js";

describe("udf paths", () => {
  test("canonicalisation adds .js and :default", () => {
    expect(canonicalizeUdfPath("messages:list")).toBe("messages.js:list");
    expect(canonicalizeUdfPath("dir/mod")).toBe("dir/mod.js:default");
    expect(canonicalizeUdfPath("dir/mod.js:fn")).toBe("dir/mod.js:fn");
    expect(canonicalizeUdfPath("mod:")).toBe("mod.js:default");
  });

  test("the display form strips the extension and a default export name", () => {
    expect(displayUdfPath("dir/mod.js:default")).toBe("dir/mod");
    expect(displayUdfPath("messages.js:list")).toBe("messages:list");
    expect(displayUdfPath("messages:list")).toBe("messages:list");
  });

  test("parsing separates module and export", () => {
    expect(parseUdfPath("a/b:c")).toEqual({ module: "a/b.js", name: "c" });
  });
});
