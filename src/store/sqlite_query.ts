/**
 * What the SQLite store's repositories share: the query helpers over one connection, and how a
 * unique-constraint failure shows.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { Row } from "./rows.ts";

/** Query helpers over one SQLite connection. */
export interface SqliteQueries {
  readonly db: DatabaseSync;
  all(sql: string, ...params: SQLInputValue[]): Row[];
  get(sql: string, ...params: SQLInputValue[]): Row | undefined;
  /** Runs a statement; returns the number of rows changed. */
  run(sql: string, ...params: SQLInputValue[]): number;
  /** Runs `fn` in a write transaction (BEGIN IMMEDIATE). */
  tx<T>(fn: () => T): T;
}

/** True for SQLite's unique-constraint error. */
export function isUnique(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed/.test(err.message);
}
