/**
 * Copies of a live SQLite database: `VACUUM INTO` writes a consistent snapshot (one read
 * transaction, so writers in other processes go on) into a new private file; before the schema
 * is migrated, such a copy of the old database is kept in `backups/` beside it
 * (`aft-v<N>-<time>.db`, the last few); and `PRAGMA integrity_check` for `aft doctor`.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { basename, dirname, join } from "../path.ts";
import { privateFile } from "./sqlite_file.ts";
import { StoreError } from "./types.ts";

/** Backups kept before migrations. */
export const MIGRATION_BACKUPS_KEPT = 3;

/** Writes a consistent copy of `db` to `dest`, a file that must not exist yet (0600). */
export function vacuumInto(db: DatabaseSync, dest: string): void {
  let exists = false;
  try {
    Deno.statSync(dest);
    exists = true;
  } catch { /* good: it is new */ }
  if (exists) throw new StoreError("INVALID", `The file "${dest}" already exists`);
  // VACUUM INTO writes into an empty file: made first so it is private from the start.
  privateFile(dest);
  try {
    db.prepare("VACUUM INTO ?").run(dest);
  } catch (err) {
    try {
      Deno.removeSync(dest);
    } catch { /* nothing written */ }
    throw err;
  }
}

/**
 * Before `db` (at `path`, schema version `version`) is migrated: a copy in
 * `DIR/backups/aft-v<version>-<time>.db`, and only the newest {@link MIGRATION_BACKUPS_KEPT}
 * such copies are kept. Returns the copy's path.
 */
export function backupBeforeMigration(db: DatabaseSync, path: string, version: number): string {
  const dir = join(dirname(path), "backups");
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const stem = basename(path).replace(/\.db$/, "");
  let dest = join(dir, `${stem}-v${version}-${stamp}.db`);
  for (let i = 2; exists(dest); i++) dest = join(dir, `${stem}-v${version}-${stamp}-${i}.db`);
  vacuumInto(db, dest);
  const mine = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-v\\d+-.*\\.db$`);
  const old = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && mine.test(e.name))
    .map((e) => ({ name: e.name, at: Deno.statSync(join(dir, e.name)).mtime?.getTime() ?? 0 }))
    .sort((a, b) => b.at - a.at || b.name.localeCompare(a.name))
    .slice(MIGRATION_BACKUPS_KEPT);
  for (const e of old) Deno.removeSync(join(dir, e.name));
  return dest;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What `PRAGMA integrity_check` finds wrong; empty when the database is sound. */
export function integrityProblems(db: DatabaseSync): string[] {
  const rows = db.prepare("PRAGMA integrity_check").all() as Record<string, unknown>[];
  const lines = rows.map((r) => String(Object.values(r)[0]));
  return lines.length === 1 && lines[0] === "ok" ? [] : lines;
}
