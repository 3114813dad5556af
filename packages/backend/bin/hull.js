#!/usr/bin/env node
// The `hull` command: loads the TypeScript sources through tsx, so `npx hull` works right after
// `npm install`, with no build step.
import process from "node:process";
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/main.ts");
await runCli(process.argv.slice(2), process.env);
