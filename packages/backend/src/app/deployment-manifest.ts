import type { AppAnalysis, ModuleRef } from "../http/push/deploy-api.js";
import type { Persistence } from "../storage/persistence.js";
import type { JsonValue } from "../values/value.js";

/**
 * What is deployed (the runtime's `AppManifest`): every module by path and sha256 (`_deps/`
 * chunks and `schema.js` included), the analysis, and the `convex` version the app was bundled
 * with. JSON-serialisable; persisted so a restarted server activates the same code.
 */
export interface AppManifest {
  readonly modules: readonly ModuleRef[];
  readonly analysis: AppAnalysis;
  readonly udfServerVersion: string | null;
}

/** The persistence global that holds the active manifest. */
export const MANIFEST_GLOBAL_KEY = "hull.app_manifest";

/** Loads and saves the active manifest as a persistence global. */
export class ManifestStore {
  readonly #persistence: Persistence;

  constructor(persistence: Persistence) {
    this.#persistence = persistence;
  }

  /** The stored manifest, or null before the first deploy. */
  async load(): Promise<AppManifest | null> {
    const stored = await this.#persistence
      .reader()
      .getGlobal(MANIFEST_GLOBAL_KEY);
    return stored === null ? null : (stored as unknown as AppManifest);
  }

  /** Replaces the stored manifest; durable when resolved. */
  async save(manifest: AppManifest): Promise<void> {
    await this.#persistence.writeGlobal(
      MANIFEST_GLOBAL_KEY,
      manifest as unknown as JsonValue,
    );
  }
}
