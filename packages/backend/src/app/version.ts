import { readFileSync } from "node:fs";

/** The backend package's version, reported by `GET /version` and `hull --version`. */
export const HULL_VERSION: string = (
  JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as {
    version: string;
  }
).version;
