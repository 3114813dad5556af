import { describe, expect, test } from "vitest";
import { silentLogger } from "../shared/logger.js";
import { parseFlags, toBackendConfig } from "./serve-options.js";

function config(argv: string[], env: Record<string, string> = {}) {
  return toBackendConfig(parseFlags(argv).values, env, silentLogger);
}

describe("toBackendConfig", () => {
  test("defaults to ports 3210/3211 on 127.0.0.1 with ./hull-data", () => {
    expect(config([])).toMatchObject({
      port: 3210,
      sitePort: 3211,
      host: "127.0.0.1",
      dataDir: "./hull-data",
      instanceName: undefined,
      instanceSecret: undefined,
    });
  });

  test("flags win over the environment, which fills in the rest", () => {
    const result = config(
      ["--port", "4000", "--site-port", "4001", "--instance-name", "flag"],
      {
        INSTANCE_NAME: "env",
        INSTANCE_SECRET: "ab".repeat(32),
        CONVEX_CLOUD_ORIGIN: "https://api.example.com/",
        CONVEX_SITE_ORIGIN: "https://site.example.com",
      },
    );
    expect(result).toMatchObject({
      port: 4000,
      sitePort: 4001,
      instanceName: "flag",
      instanceSecret: "ab".repeat(32),
      cloudOrigin: "https://api.example.com",
      siteOrigin: "https://site.example.com",
    });
  });

  test("a bad or clashing port is a message, not a config", () => {
    expect(config(["--port", "http"])).toMatch(/--port must be a port number/);
    expect(config(["--port", "70000"])).toMatch(/between 0 and 65535/);
    expect(config(["--port", "5000", "--site-port", "5000"])).toMatch(
      /must differ/,
    );
  });

  test("--db wins over POSTGRES_URL, which wins over DATABASE_URL", () => {
    const env = {
      POSTGRES_URL: "postgres://u:p@pg:5432/from_postgres_url",
      DATABASE_URL: "postgres://u:p@pg:5432/from_database_url",
    };
    expect(config(["--db", "postgresql://h/flag_db"], env)).toMatchObject({
      databaseUrl: "postgresql://h/flag_db",
    });
    expect(config([], env)).toMatchObject({
      databaseUrl: "postgres://u:p@pg:5432/from_postgres_url",
    });
    expect(config([], { DATABASE_URL: env.DATABASE_URL })).toMatchObject({
      databaseUrl: "postgres://u:p@pg:5432/from_database_url",
    });
    expect(config([])).toMatchObject({ databaseUrl: undefined });
  });

  test("a server URL without a database gets the database named after the instance", () => {
    expect(
      config([], {
        POSTGRES_URL: "postgres://u:p@db.example.com",
        INSTANCE_NAME: "my-app",
      }),
    ).toMatchObject({ databaseUrl: "postgres://u:p@db.example.com/my_app" });
    expect(
      config(["--db", "postgres://u@h:5433/?sslmode=require"]),
    ).toMatchObject({
      databaseUrl: "postgres://u@h:5433/hull?sslmode=require",
    });
  });

  test("a database URL that is not PostgreSQL is a message", () => {
    expect(config(["--db", "mysql://h/db"])).toMatch(/Only PostgreSQL URLs/);
    expect(config(["--db", "not a url"])).toMatch(/not a URL/);
  });

  test("unknown flags are refused", () => {
    expect(() => parseFlags(["--nope"])).toThrow(/Unknown option/);
  });
});
