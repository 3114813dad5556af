import type { AppAnalysis, ModuleRef } from "../http/push/deploy-api.js";
import {
  parseSchemaExport,
  type SchemaDefinition,
} from "../engine/schema-definition.js";
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
/** The manifest a push is activating, while its schema is applied (see `manifest-recovery.ts`). */
export const PENDING_MANIFEST_GLOBAL_KEY = "hull.pending_app_manifest";

/** Pushing no schema removes every index and validator, as in Convex. */
const EMPTY_SCHEMA: SchemaDefinition = { tables: [], schemaValidation: false };

/** The schema a manifest's analysis describes (the empty schema when the app has none). */
export function schemaOf(manifest: AppManifest): SchemaDefinition {
  const exported = manifest.analysis.schema;
  return exported === null || exported === undefined
    ? EMPTY_SCHEMA
    : parseSchemaExport(exported);
}

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

  /** The manifest of a push that was activating when the process stopped, or null. */
  async loadPending(): Promise<AppManifest | null> {
    const stored = await this.#persistence
      .reader()
      .getGlobal(PENDING_MANIFEST_GLOBAL_KEY);
    return stored === null ? null : (stored as unknown as AppManifest);
  }

  /** Records (or with null clears) the manifest being activated; durable when resolved. */
  async savePending(manifest: AppManifest | null): Promise<void> {
    await this.#persistence.writeGlobal(
      PENDING_MANIFEST_GLOBAL_KEY,
      manifest as unknown as JsonValue,
    );
  }

  /** Replaces the stored manifest; durable when resolved. */
  async save(manifest: AppManifest): Promise<void> {
    await this.#persistence.writeGlobal(
      MANIFEST_GLOBAL_KEY,
      manifest as unknown as JsonValue,
    );
  }
}
