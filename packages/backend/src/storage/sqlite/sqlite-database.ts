/**
 * The subset of better-sqlite3 the SQLite driver uses, declared structurally (Kysely's
 * `SqliteDatabase`), so the rest of the driver depends on these few methods rather than on the
 * library's types. This is the only module that imports better-sqlite3.
 */
import BetterSqlite3 from "better-sqlite3";

/** A prepared statement. */
export interface SqliteStatement {
  run(...params: unknown[]): { readonly changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays of column values instead of objects. */
  raw(toggle?: boolean): this;
  /** Integers as `bigint` (needed for u64 nanosecond timestamps). */
  safeIntegers(toggle?: boolean): this;
  /** Rows as their first column's value. */
  pluck(toggle?: boolean): this;
}

/** A connection. Every call is synchronous. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` in BEGIN/COMMIT, rolling back when it throws. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): unknown;
}

/** Opens (creating if needed) the database file at `path`. */
export function openSqliteDatabase(path: string): SqliteDatabase {
  return new BetterSqlite3(path);
}
