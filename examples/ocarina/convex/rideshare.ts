import { v } from "convex/values";
import { mutation } from "./_generated/server";
import { getCurrentState, getRunningRun, insertState } from "./model/records";

interface Ride {
  id: string;
  status: string;
  driverId?: string;
}

function ridesOf(state: unknown): Ride[] {
  if (typeof state !== "object" || state === null || !("rides" in state))
    return [];
  const rides = (state as { rides: unknown }).rides;
  return Array.isArray(rides) ? (rides as Ride[]) : [];
}

/**
 * A scenario-specific tool: a model accepts a ride for a driver. Reads the model's current
 * snapshot and saves the updated state as a new snapshot for the same day.
 */
export const acceptRide = mutation({
  args: {
    runId: v.id("runs"),
    modelId: v.string(),
    rideId: v.string(),
    driverId: v.string(),
  },
  handler: async (ctx, { runId, modelId, rideId, driverId }) => {
    await getRunningRun(ctx, runId);
    const current = await getCurrentState(ctx, runId, modelId);
    if (current === null) throw new Error(`Model ${modelId} has no state yet`);

    const rides = ridesOf(current.state);
    const ride = rides.find((r) => r.id === rideId);
    if (ride === undefined) throw new Error(`Ride ${rideId} not found`);
    if (ride.status !== "open")
      throw new Error(`Ride ${rideId} is ${ride.status}`);

    const accepted: Ride = { ...ride, status: "accepted", driverId };
    const state = {
      ...(current.state as object),
      rides: rides.map((r) => (r.id === rideId ? accepted : r)),
    };
    await insertState(ctx, { runId, modelId, day: current.day }, state);
    return { success: true, ride: accepted };
  },
});
