/**
 * Test-only: an empty database per test on the pg project's server (STYLE.md §5.5).
 *
 * The server URL and the run's database-name prefix come from the pg project's global setup
 * (`test-global-setup.ts`) through vitest's `provide`/`inject`. `CREATE DATABASE` copies a template
 * of several megabytes and costs about half a second on our machines, so a disposed database is
 * emptied (every schema dropped, `public` recreated) and handed to the next test of the same file
 * instead of being dropped; it is then indistinguishable from a new one. The global teardown drops
 * the run's databases.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the PostgreSQL server for `*.pg.test.ts` files; set by `test-global-setup.ts`. */
    hullPgServerUrl: string;
    /** Prefix of the names of the databases this run creates; set by `test-global-setup.ts`. */
    hullPgDatabasePrefix: string;
  }
}

/** A database that is empty when handed out; disposing it empties it for reuse or drops it. */
export interface TestDatabase extends AsyncDisposable {
  readonly name: string;
  readonly url: string;
}

/** Emptied databases of this test file (each file has its own module instance), by server URL. */
const recycled = new Map<string, string[]>();

/** The server URL provided by the pg project's global setup; throws outside that project. */
export function mustInjectServerUrl(): string {
  const url = inject("hullPgServerUrl");
  if (typeof url !== "string" || url === "") {
    throw new Error(
      "No PostgreSQL server for this test: *.pg.test.ts files run only in the `pg` vitest project " +
        "(`npx vitest run --project pg`), whose global setup starts a server or reads TEST_PG_URL.",
    );
  }
  return url;
}

/** An empty database on the server at `serverUrl` (by default the pg project's server). */
export async function createTestDatabase(
  serverUrl: string = mustInjectServerUrl(),
): Promise<TestDatabase> {
  const name =
    recycled.get(serverUrl)?.pop() ?? (await createDatabase(serverUrl));
  const url = databaseUrl(serverUrl, name);
  return {
    name,
    url,
    [Symbol.asyncDispose]: async () => {
      try {
        await withClient(url, emptyDatabase);
      } catch {
        await withClient(serverUrl, (c) =>
          c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
        );
        return;
      }
      const names = recycled.get(serverUrl) ?? [];
      names.push(name);
      recycled.set(serverUrl, names);
    },
  };
}

async function createDatabase(serverUrl: string): Promise<string> {
  const prefix = inject("hullPgDatabasePrefix") ?? "hull_test_";
  const name = `${prefix}${randomBytes(6).toString("hex")}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return name;
}

/** Ends other sessions on the database, then drops every schema and recreates `public`. */
async function emptyDatabase(client: pg.Client): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  const { rows } = await client.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace
     WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
  );
  const drops = rows.map(
    (r) => `DROP SCHEMA ${client.escapeIdentifier(r.nspname)} CASCADE;`,
  );
  await client.query(`${drops.join("\n")}\nCREATE SCHEMA public;`);
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient(
  url: string,
  f: (client: pg.Client) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await f(client);
  } finally {
    await client.end();
  }
}
