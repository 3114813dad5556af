/**
 * Where pushed module sources live, addressed by content. The CLI sends unchanged modules by hash
 * only (`unchangedModuleHashes`), so every deployed module's source must stay retrievable by its
 * sha256, computed exactly as the CLI does.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The environment a module runs in: the default sandbox, or Node for `"use node"` modules. */
export type ModuleEnvironment = "isolate" | "node";

/** A module as the CLI pushes it. `path` is relative to `convex/`: `"messages.js"`, `"_deps/ABC.js"`. */
export interface ModuleSource {
  readonly path: string;
  readonly source: string;
  readonly sourceMap?: string | undefined;
  readonly environment: ModuleEnvironment;
}

/** The content of a module, without its path. */
export interface ModuleContent {
  readonly source: string;
  readonly sourceMap?: string | undefined;
}

/** Hex sha256 of `source ‖ sourceMap`: the CLI's formula (convex `cli/lib/components.ts` `hash`). */
export function hashModule(
  source: string,
  sourceMap: string | undefined,
): string {
  return createHash("sha256")
    .update(source)
    .update(sourceMap ?? "")
    .digest("hex");
}

export interface ModuleStore {
  /** Stores the content and returns its sha256. Idempotent; durable once the promise resolves. */
  put(content: ModuleContent): Promise<string>;
  /** The content stored under `sha256`, or null when there is none. */
  get(sha256: string): Promise<ModuleContent | null>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A `ModuleStore` in a directory: `<sha256>.js` and, when present, `<sha256>.map`. */
export class FileModuleStore implements ModuleStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(content: ModuleContent): Promise<string> {
    const sha256 = hashModule(content.source, content.sourceMap);
    await mkdir(this.#dir, { recursive: true });
    if (content.sourceMap !== undefined) {
      await this.#writeAtomically(`${sha256}.map`, content.sourceMap);
    }
    // The source is written last: its presence means the entry is complete.
    await this.#writeAtomically(`${sha256}.js`, content.source);
    return sha256;
  }

  async get(sha256: string): Promise<ModuleContent | null> {
    if (!SHA256_HEX.test(sha256)) return null;
    const source = await readOptional(join(this.#dir, `${sha256}.js`));
    if (source === null) return null;
    const sourceMap = await readOptional(join(this.#dir, `${sha256}.map`));
    return sourceMap === null ? { source } : { source, sourceMap };
  }

  async #writeAtomically(name: string, text: string): Promise<void> {
    const temp = join(
      this.#dir,
      `.${name}.${randomBytes(6).toString("hex")}.tmp`,
    );
    await writeFile(temp, text, { flush: true });
    await rename(temp, join(this.#dir, name));
  }
}

/** A `ModuleStore` in memory, for tests and the in-process harness. */
export class MemoryModuleStore implements ModuleStore {
  readonly #entries = new Map<string, ModuleContent>();

  put(content: ModuleContent): Promise<string> {
    const sha256 = hashModule(content.source, content.sourceMap);
    this.#entries.set(sha256, content);
    return Promise.resolve(sha256);
  }

  get(sha256: string): Promise<ModuleContent | null> {
    return Promise.resolve(this.#entries.get(sha256) ?? null);
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
