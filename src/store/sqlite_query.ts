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

/**
 * The `SET` clause of an update from `patch`, for the fields `columns` maps (others and
 * undefined values are left out); objects are stored as JSON, booleans as 0 and 1.
 */
export function setClause(
  columns: Readonly<Record<string, string>>,
  patch: Record<string, unknown>,
): { sql: string; params: SQLInputValue[] } {
  const sets: string[] = [];
  const params: SQLInputValue[] = [];
  for (const [k, v] of Object.entries(patch)) {
    const col = columns[k];
    if (!col || v === undefined) continue;
    sets.push(`${col} = ?`);
    params.push(
      typeof v === "boolean"
        ? (v ? 1 : 0)
        : v !== null && typeof v === "object"
        ? JSON.stringify(v)
        : (v as SQLInputValue),
    );
  }
  return { sql: sets.join(", "), params };
}
