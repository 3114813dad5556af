/**
 * Engine suite, schemas and indexes: user indexes with the implicit suffix, backfill, staged
 * indexes, dropping, validators and `prepare`.
 */
import { expect, test } from "vitest";
import { INDEX_TABLE_NUMBER } from "./catalog.js";
import { encodeIndexKey, prefixSuccessor } from "../values/index-key.js";
import type { KeyInterval } from "../storage/persistence.js";
import {
  insertAll,
  scanAll,
  type EngineSuiteContext,
} from "./engine-suite-support.js";
import {
  parseSchemaExport,
  type SchemaDefinition,
} from "./schema-definition.js";

const stringField = { fieldType: { type: "string" }, optional: false };
const numberField = { fieldType: { type: "number" }, optional: false };

/** A schema of one `messages` table, as `schema.export()` would produce it. */
function messagesSchema(options: {
  indexes?: { indexDescriptor: string; fields: string[] }[];
  staged?: { indexDescriptor: string; fields: string[] }[];
  schemaValidation?: boolean;
}): SchemaDefinition {
  return parseSchemaExport(
    JSON.stringify({
      tables: [
        {
          tableName: "messages",
          indexes: options.indexes ?? [],
          stagedDbIndexes: options.staged ?? [],
          searchIndexes: [],
          stagedSearchIndexes: [],
          vectorIndexes: [],
          stagedVectorIndexes: [],
          documentType: {
            type: "object",
            value: { channel: stringField, n: numberField },
          },
        },
      ],
      schemaValidation: options.schemaValidation ?? true,
    }),
  );
}

function prefix(values: Parameters<typeof encodeIndexKey>[0]): KeyInterval {
  const start = encodeIndexKey(values);
  return { start, end: prefixSuccessor(start) };
}

export function describeSchemaSuite(ctx: EngineSuiteContext): void {
  test("a new index is backfilled over existing documents and then maintained", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) =>
      insertAll(tx, "messages", [
        { channel: "b", n: 1 },
        { channel: "a", n: 2 },
        { channel: "b", n: 3 },
      ]),
    );
    await database.schema.apply(
      messagesSchema({
        indexes: [{ indexDescriptor: "by_channel", fields: ["channel"] }],
      }),
    );
    await database.runInTransaction(async (tx) => {
      const index = tx.resolveIndex("messages", "by_channel")!;
      expect(index.fields).toEqual(["channel", "_creationTime", "_id"]);
      const b = await scanAll(tx, "messages", "by_channel", prefix(["b"]));
      expect(b.map((d) => d.n)).toEqual([1, 3]);
      await tx.patch(b[0]!._id, { channel: "a" });
      await tx.insert("messages", { channel: "b", n: 4 });
    });
    const tx = database.begin();
    const all = await scanAll(tx, "messages", "by_channel");
    expect(all.map((d) => [d.channel, d.n])).toEqual([
      ["a", 1],
      ["a", 2],
      ["b", 3],
      ["b", 4],
    ]);
    expect(database.schema.progress()).toEqual([
      expect.objectContaining({
        table: "messages",
        index: "by_channel",
        done: true,
      }) as unknown,
    ]);
    tx.close();
  });

  test("an index built while writes continue agrees with the table", async () => {
    const { database } = await ctx.create({
      occRetry: { maxRetries: 100, initialBackoffMs: 1, maxBackoffMs: 4 },
    });
    const { value: ids } = await database.runInTransaction((tx) =>
      insertAll(
        tx,
        "messages",
        Array.from({ length: 40 }, (_, n) => ({ channel: `c${n % 5}`, n })),
      ),
    );
    const writes = Array.from({ length: 30 }, (_, w) =>
      database.runInTransaction(async (tx) => {
        const target = ids[(w * 7) % ids.length]!;
        if ((await tx.get(target)) !== null)
          await tx.patch(target, { channel: `w${w % 3}` });
        if (w % 4 === 0)
          await tx.delete(ids[(w * 11 + 1) % ids.length]!).catch(() => null);
        await tx.insert("messages", { channel: `n${w % 2}`, n: 100 + w });
      }),
    );
    const apply = database.schema.apply(
      messagesSchema({
        indexes: [{ indexDescriptor: "by_channel", fields: ["channel"] }],
        schemaValidation: false,
      }),
    );
    await Promise.all([...writes, apply]);
    const tx = database.begin();
    const byIndex = await scanAll(tx, "messages", "by_channel");
    const expected = (await scanAll(tx, "messages", "by_creation_time")).sort(
      (a, b) =>
        (a.channel as string).localeCompare(b.channel as string) ||
        a._creationTime - b._creationTime,
    );
    expect(byIndex.map((d) => d._id)).toEqual(expected.map((d) => d._id));
    tx.close();
  });

  test("a staged index is not queryable until the schema enables it", async () => {
    const { database } = await ctx.create();
    await database.runInTransaction((tx) =>
      tx.insert("messages", { channel: "x", n: 1 }),
    );
    await database.schema.apply(
      messagesSchema({ staged: [{ indexDescriptor: "by_n", fields: ["n"] }] }),
    );
    expect(() => database.begin().resolveIndex("messages", "by_n")).toThrow(
      "Index messages.by_n is staged",
    );
    await database.schema.apply(
      messagesSchema({ indexes: [{ indexDescriptor: "by_n", fields: ["n"] }] }),
    );
    const tx = database.begin();
    expect(await scanAll(tx, "messages", "by_n")).toHaveLength(1);
    tx.close();
  });

  test("an index removed from the schema is dropped", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(
      messagesSchema({ indexes: [{ indexDescriptor: "by_n", fields: ["n"] }] }),
    );
    const changes = await database.schema.prepare(messagesSchema({}));
    expect(changes.droppedIndexes).toEqual([
      { table: "messages", name: "by_n" },
    ]);
    await database.schema.apply(messagesSchema({}));
    expect(database.begin().resolveIndex("messages", "by_n")).toBeNull();
  });

  test("prepare names the table and document that do not match, and changes nothing", async () => {
    const { database } = await ctx.create();
    const { value: id } = await database.runInTransaction((tx) =>
      tx.insert("messages", { channel: "x", n: "not a number" }),
    );
    const latest = database.latestTs;
    const schema = messagesSchema({
      indexes: [{ indexDescriptor: "by_n", fields: ["n"] }],
    });
    await expect(database.schema.prepare(schema)).rejects.toThrow(
      `Document with ID "${id}" in table "messages" does not match the schema`,
    );
    await expect(database.schema.apply(schema)).rejects.toMatchObject({
      shortMsg: "SchemaValidationFailed",
    });
    expect(database.latestTs).toBe(latest);
    expect(
      database.catalog.index(
        database.catalog.tableByName("messages")!.number,
        "by_n",
      ),
    ).toBeUndefined();
  });

  test("writes are validated against the schema only when it enforces validation", async () => {
    const { database } = await ctx.create();
    await database.schema.apply(messagesSchema({}));
    await expect(
      database.runInTransaction((tx) => tx.insert("messages", { channel: 1 })),
    ).rejects.toThrow(
      'Failed to insert or update a document in table "messages"',
    );
    await database.runInTransaction((tx) =>
      tx.insert("messages", { channel: "ok", n: 1 }),
    );
    await database.schema.apply(messagesSchema({ schemaValidation: false }));
    await database.runInTransaction((tx) =>
      tx.insert("messages", { anything: true }),
    );
  });

  test("schemas with reserved or malformed indexes are refused", () => {
    expect(() =>
      messagesSchema({
        indexes: [{ indexDescriptor: "by_id", fields: ["n"] }],
      }),
    ).toThrow(/reserved/);
    expect(() =>
      messagesSchema({
        indexes: [{ indexDescriptor: "by_time", fields: ["_creationTime"] }],
      }),
    ).toThrow(/added to every index automatically/);
  });

  test("tables and indexes survive a restart", async () => {
    const fixture = await ctx.create();
    await fixture.database.runInTransaction((tx) =>
      tx.insert("messages", { channel: "a", n: 1 }),
    );
    await fixture.database.schema.apply(
      messagesSchema({
        indexes: [{ indexDescriptor: "by_channel", fields: ["channel"] }],
      }),
    );
    const database = await fixture.reopen();
    const tx = database.begin();
    expect(
      await scanAll(tx, "messages", "by_channel", prefix(["a"])),
    ).toHaveLength(1);
    await expect(tx.insert("messages", { channel: 5 })).rejects.toMatchObject({
      shortMsg: "SchemaEnforcementError",
    });
    tx.close();
  });

  test("a backfill interrupted by a restart resumes and enables the index", async () => {
    const fixture = await ctx.create();
    await fixture.database.runInTransaction((tx) =>
      insertAll(tx, "messages", [{ channel: "a" }, { channel: "b" }]),
    );
    await fixture.database.runInTransaction(async (tx) => {
      const table = tx.catalog.tableByName("messages")!;
      await tx.writeMetadata(INDEX_TABLE_NUMBER, null, {
        table: table.number,
        name: "by_channel",
        fields: ["channel"],
        state: "backfilling",
        staged: false,
      });
    });
    const database = await fixture.reopen();
    const enabled = (): boolean => {
      const table = database.catalog.tableByName("messages")!;
      return (
        database.catalog.index(table.number, "by_channel")?.state === "enabled"
      );
    };
    // The resumed backfill runs in the background after open.
    for (let i = 0; i < 200 && !enabled(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const tx = database.begin();
    expect(
      await scanAll(tx, "messages", "by_channel", prefix(["b"])),
    ).toHaveLength(1);
    tx.close();
  });
}
