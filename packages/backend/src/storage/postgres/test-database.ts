/**
 * Test-only: a fresh, empty database per test on the pg project's server (STYLE.md §5.5).
 *
 * The server URL comes from the pg project's global setup (`test-global-setup.ts`) through
 * vitest's `provide`/`inject`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the PostgreSQL server for `*.pg.test.ts` files; set by `test-global-setup.ts`. */
    hullPgServerUrl: string;
  }
}

/** A database that exists until disposed; disposing drops it (closing any leftover sessions). */
export interface TestDatabase extends AsyncDisposable {
  readonly name: string;
  readonly url: string;
}

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

/** Creates an empty database named `hull_test_<random>` on the server at `serverUrl`. */
export async function createTestDatabase(
  serverUrl: string = mustInjectServerUrl(),
): Promise<TestDatabase> {
  const name = `hull_test_${randomBytes(6).toString("hex")}`;
  await withAdminClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    [Symbol.asyncDispose]: () =>
      withAdminClient(serverUrl, (c) =>
        c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ),
  };
}

async function withAdminClient(
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
