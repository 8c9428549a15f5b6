/**
 * The SQLite database file and SQLite's failures: the file is created private (0600) before
 * SQLite opens it, and a full disk becomes StoreError FULL wherever a store method fails.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";
import { newerSchema } from "./rows.ts";
import { StoreError } from "./types.ts";

/** Options of the SQLite store. */
export interface SqliteOptions {
  /**
   * A hard cap on the database's size in pages (SQLite `max_page_count`); past it writes fail
   * as on a full disk. For tests of a full disk, and for operators who want a cap.
   */
  maxPageCount?: number;
}

/** Opens (creating it private) the database at `path`, in WAL mode. */
export function openDatabase(path: string, opts: SqliteOptions = {}): DatabaseSync {
  try {
    privateFile(path);
    const db = new DatabaseSync(path);
    db.exec(
      "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
    );
    if (opts.maxPageCount !== undefined) {
      db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(opts.maxPageCount))}`);
    }
    return db;
  } catch (err) {
    throw new StoreError(
      "CORRUPT",
      `Cannot open the database "${path}": ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * Creates or upgrades the schema of `db` (`MIGRATIONS`, in one transaction run by `tx`);
 * `beforeUpgrade`, with the current version, runs first when an existing schema is about to
 * change. NEWER_SCHEMA for a schema newer than this aft knows (the database is left untouched),
 * CORRUPT for a database that cannot be prepared.
 */
export function migrateDatabase(
  db: DatabaseSync,
  tx: (fn: () => void) => void,
  location: string,
  beforeUpgrade?: (version: number) => void,
): void {
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const before = Number(db.prepare("SELECT max(version) AS v FROM schema_version").get()?.v ?? 0);
    if (before > 0 && before < MIGRATIONS.length) beforeUpgrade?.(before);
    tx(() => {
      const row = db.prepare("SELECT max(version) AS v FROM schema_version").get();
      const current = Number(row?.v ?? 0);
      if (current > MIGRATIONS.length) {
        throw newerSchema(location, current, MIGRATIONS.length);
      }
      for (let v = current; v < MIGRATIONS.length; v++) {
        db.exec(MIGRATIONS[v]!);
        db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(v + 1);
      }
    });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if (mapped(err) instanceof StoreError) throw mapped(err);
    throw new StoreError("CORRUPT", `Cannot prepare the database: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** SQLite's result code for a full disk or a database at its `max_page_count`. */
const SQLITE_FULL = 13;

/** A full disk becomes StoreError FULL; anything else is passed on. */
export function mapped(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { errcode?: unknown; message?: unknown } | null;
  // Extended result codes keep SQLITE_FULL in their low byte; some paths give only the text.
  const full = typeof e === "object" && e !== null &&
    ((typeof e.errcode === "number" && (e.errcode & 0xff) === SQLITE_FULL) ||
      /database or disk is full/i.test(String(e.message)));
  if (!full) return err;
  return new StoreError("FULL", "The disk is full: the database cannot be written", {
    cause: err,
  });
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
        return Promise.reject(mapped(err));
      }
    };
  }
  return repo;
}

/**
 * Creates the database file private (0600) before SQLite opens it, and makes an existing one
 * private: SQLite gives its `-wal` and `-shm` files the database file's mode.
 */
export function privateFile(path: string): void {
  if (Deno.build.os === "windows" || path === ":memory:") return;
  try {
    Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
    if ((Deno.statSync(path).mode ?? 0) & 0o077) Deno.chmodSync(path, 0o600);
  } catch { /* SQLite's own open reports what is wrong */ }
}
