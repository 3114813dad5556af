/**
 * Runs `checkConvexStore` against a deployment of this example:
 *
 *   node --import tsx scripts/check-store.ts --url http://127.0.0.1:3210 --admin-key '<key>'
 *
 * Defaults come from `CONVEX_SELF_HOSTED_URL` and `CONVEX_SELF_HOSTED_ADMIN_KEY`.
 */
import { parseArgs } from "node:util";
import { checkConvexStore } from "./store-check.js";

const { values } = parseArgs({
  options: { url: { type: "string" }, "admin-key": { type: "string" } },
});
const url = values.url ?? process.env.CONVEX_SELF_HOSTED_URL;
const adminKey =
  values["admin-key"] ?? process.env.CONVEX_SELF_HOSTED_ADMIN_KEY;
if (url === undefined || adminKey === undefined) {
  console.error(
    "Pass --url and --admin-key (or set CONVEX_SELF_HOSTED_URL/_ADMIN_KEY).",
  );
  process.exit(2);
}
const report = await checkConvexStore({ url, adminKey });
console.log(
  `ConvexStore on ${url}: ${report.domains.join(", ")} checked in ${report.calls} calls.`,
);
