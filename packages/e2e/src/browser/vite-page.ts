import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build, preview } from "vite";
import { freePort } from "../free-port.js";

/** A built React page served by `vite preview` on 127.0.0.1. */
export interface ServedPage extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Builds the Vite app in `appDir` (its own `vite.config.ts`) with `VITE_CONVEX_URL` set to
 * `convexUrl`, into a temp dir, and serves it with `vite preview` on a free port.
 */
export async function buildAndServe(
  appDir: string,
  convexUrl: string,
): Promise<ServedPage> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "hull-page-"));
  try {
    const config = {
      root: appDir,
      configFile: path.join(appDir, "vite.config.ts"),
      logLevel: "warn" as const,
      define: { "import.meta.env.VITE_CONVEX_URL": JSON.stringify(convexUrl) },
      build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
    };
    await build(config);
    const port = await freePort();
    const server = await preview({
      ...config,
      preview: { host: "127.0.0.1", port, strictPort: true },
    });
    const close = async () => {
      await server.close();
      await fs.rm(outDir, { recursive: true, force: true });
    };
    return {
      url: `http://127.0.0.1:${port}/`,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await fs.rm(outDir, { recursive: true, force: true });
    throw error;
  }
}
