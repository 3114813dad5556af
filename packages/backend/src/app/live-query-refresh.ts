/**
 * Live queries must show what the deployed code returns: after a deploy activates new code, or
 * the environment variables the code reads change, every subscribed query runs again.
 */
import type { ActivatableRunner } from "./deployment-follower.js";

/**
 * `target` seen through an activation that re-runs live queries: each successful `activate` is
 * followed by `rerun()`. A failed activation leaves the old code serving and re-runs nothing.
 */
export function rerunningAfterActivate(
  target: ActivatableRunner,
  rerun: () => void,
): ActivatableRunner {
  return {
    get manifest() {
      return target.manifest;
    },
    async activate(manifest) {
      await target.activate(manifest);
      rerun();
    },
  };
}
