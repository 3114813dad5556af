import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval(
  "release expired ticket leases",
  { minutes: 1 },
  internal.mutations.tickets.releaseExpiredLeases,
  {},
);
crons.interval(
  "mark silent VMs",
  { minutes: 1 },
  internal.mutations.vms.markStale,
  {},
);

export default crons;
