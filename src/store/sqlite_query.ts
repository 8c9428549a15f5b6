/**
 * What the SQLite store's repositories share: the query helpers over one connection, and the
 * wrapper that turns a synchronous throw into a rejected promise.
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
 * Makes every method of a repository object honour the async contract: a synchronous throw
 * (a constraint violation, a busy database) becomes a rejected promise.
 */
export function settled<T extends object>(repo: T): T {
  for (const [k, v] of Object.entries(repo)) {
    if (typeof v !== "function") continue;
    (repo as Record<string, unknown>)[k] = (...args: unknown[]) => {
      try {
        return Promise.resolve(v(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return repo;
}
