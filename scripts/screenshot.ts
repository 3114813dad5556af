/**
 * Takes a screenshot of the live Swarm dashboard in headless Chromium and saves it as
 * docs/dashboard.png: the same stack as `npm start` (Hull, examples/swarm deployed with the
 * official CLI, demo:seed, Vite), on free ports with a throwaway data directory, stopped after.
 *
 *   npm run screenshot [-- --out docs/dashboard.png]
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../packages/e2e/src/free-port.js";
import { launchChromium } from "../packages/e2e/src/browser/chromium.js";
import { REPO_ROOT, startSwarmStack } from "./lib/swarm-stack.js";

const { values } = parseArgs({
  options: {
    out: {
      type: "string",
      default: path.join(REPO_ROOT, "docs/dashboard.png"),
    },
  },
});
const log = (line: string) => process.stdout.write(`${line}\n`);

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "hull-screenshot-"));
const stack = await startSwarmStack({
  dataDir,
  port: await freePort(),
  sitePort: await freePort(),
  dashboardPort: await freePort(),
  log,
});
try {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(stack.dashboardUrl);
    // Live data has arrived once the statistics, the VM grid and the HITL chat are drawn.
    await page.getByTestId("stat-total").filter({ hasText: /[1-9]/ }).waitFor();
    await page.getByTestId("vm-grid").locator("*").first().waitFor();
    await page.getByTestId("hitl-chat").waitFor();
    await page.waitForTimeout(500);
    await fs.mkdir(path.dirname(values.out), { recursive: true });
    await page.screenshot({ path: values.out, fullPage: true });
    log(`Saved ${path.relative(process.cwd(), values.out)}`);
  } finally {
    await browser.close();
  }
} finally {
  await stack.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
