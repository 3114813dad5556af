/** Starts `bare-ws-server.ts` in a child process and stops it on dispose. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../e2e/src/free-port.js";

const script = fileURLToPath(new URL("./bare-ws-server.ts", import.meta.url));

export interface BareWsServer extends AsyncDisposable {
  readonly url: string;
  readonly pid: number;
}

export async function startBareWsServer(
  mode: "broadcast" | "echo" | "idle",
): Promise<BareWsServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", script, String(port), mode],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`bare ws server exited with ${code}`)),
    );
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    pid: child.pid!,
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
