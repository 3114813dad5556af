/**
 * Applying a schema (tables, indexes, backfills, activation) takes several commits, about ten
 * milliseconds. A `convexTest` instance instead starts from a recording: the schema is applied
 * once per schema to a recorded memory persistence, and each instance replays those writes into
 * its own fresh `MemoryPersistence`, which costs a few map insertions.
 */
import { Database } from "../engine/database.js";
import { parseSchemaExport } from "../engine/schema-definition.js";
import type { Clock } from "../shared/clock.js";
import { MemoryPersistence } from "../storage/memory/memory-persistence.js";
import type {
  ConflictStrategy,
  JsonValue,
  Persistence,
  PersistenceReader,
  PersistenceWrite,
  Timestamp,
} from "../storage/persistence.js";

/** The writes that built a database state: every row in one write, and the final globals. */
interface Recording {
  readonly write: PersistenceWrite;
  readonly globals: ReadonlyMap<string, JsonValue>;
}

/** Records every write it passes on; used once per schema. */
class RecordingPersistence implements Persistence {
  readonly #inner: Persistence;
  readonly documents: PersistenceWrite["documents"][number][] = [];
  readonly indexes: PersistenceWrite["indexes"][number][] = [];
  readonly globals = new Map<string, JsonValue>();

  constructor(inner: Persistence) {
    this.#inner = inner;
  }

  get capabilities(): Persistence["capabilities"] {
    return this.#inner.capabilities;
  }

  reader(): PersistenceReader {
    return this.#inner.reader();
  }

  async write(
    write: PersistenceWrite,
    conflict: ConflictStrategy,
  ): Promise<void> {
    await this.#inner.write(write, conflict);
    this.documents.push(...write.documents);
    this.indexes.push(...write.indexes);
  }

  async writeGlobal(key: string, value: JsonValue): Promise<void> {
    await this.#inner.writeGlobal(key, value);
    this.globals.set(key, value);
  }

  pruneBefore(
    minSnapshotTs: Timestamp,
  ): Promise<{ documents: number; indexes: number }> {
    return this.#inner.pruneBefore(minSnapshotTs);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

const templates = new Map<string, Promise<Recording>>();

/** The recording of `schemaJson` (a `schema.export()` text) applied to an empty database. */
function templateFor(
  schemaJson: string,
  options: { clock: Clock; cursorSecret: Uint8Array },
): Promise<Recording> {
  let template = templates.get(schemaJson);
  if (template === undefined) {
    template = record(schemaJson, options);
    templates.set(schemaJson, template);
    template.catch(() => templates.delete(schemaJson));
  }
  return template;
}

async function record(
  schemaJson: string,
  options: { clock: Clock; cursorSecret: Uint8Array },
): Promise<Recording> {
  const persistence = new RecordingPersistence(new MemoryPersistence());
  const database = await Database.open({ persistence, ...options });
  try {
    await database.schema.apply(parseSchemaExport(schemaJson));
  } finally {
    await database.close();
  }
  return {
    write: { documents: persistence.documents, indexes: persistence.indexes },
    globals: persistence.globals,
  };
}

/**
 * A fresh memory persistence holding an empty database with `schemaJson` applied (or nothing,
 * for null).
 *
 * @throws BackendError when the schema is invalid (from the first application).
 */
export async function persistenceWithSchema(
  schemaJson: string | null,
  options: { clock: Clock; cursorSecret: Uint8Array },
): Promise<MemoryPersistence> {
  const persistence = new MemoryPersistence();
  if (schemaJson === null) return persistence;
  const template = await templateFor(schemaJson, options);
  // One append of every recorded row: rows carry their own timestamps, and the recording is a
  // valid log, so the conflict checks can be skipped.
  await persistence.write(template.write, "Overwrite");
  for (const [key, value] of template.globals) {
    await persistence.writeGlobal(key, value);
  }
  return persistence;
}
