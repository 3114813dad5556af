import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`), which `.ci/run` installs. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether a Chromium binary is installed where `launchChromium` looks. */
export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Flags for a quiet, offline, sandbox-free headless Chromium running as root. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium with a fresh profile; closing it removes the profile. */
export interface HeadlessChromium extends AsyncDisposable {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium through `playwright-core` with a fresh `--user-data-dir` in a temp
 * dir (playwright's persistent context) and a 1280×800 viewport.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const userDataDir = await fs.mkdtemp(
    path.join(os.tmpdir(), "hull-chromium-"),
  );
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    const close = async () => {
      await context.close();
      await fs.rm(userDataDir, { recursive: true, force: true });
    };
    return { context, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await fs.rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
