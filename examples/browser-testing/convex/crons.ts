import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval(
  "system stats snapshot",
  { minutes: 1 },
  internal.stats.takeSnapshot,
  {},
);

export default crons;
