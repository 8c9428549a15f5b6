/**
 * The SQLite store's repositories of the web console's accounts: admins, sessions, failed
 * authentications and setup codes.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import { ADMIN_COLUMNS, newAdminRecord, toAdmin, toSession } from "./auth_rows.ts";
import { newId } from "./ids.ts";
import { settled } from "./sqlite_file.ts";
import { isUnique, type SqliteQueries } from "./sqlite_query.ts";
import { now } from "./rows.ts";
import { type AdminRecord, type NewAdmin, type Store, StoreError } from "./types.ts";

/** Inserts an admin (in the caller's transaction, if any). */
function insertAdmin(q: SqliteQueries, input: NewAdmin): AdminRecord {
  const rec = newAdminRecord(input);
  const { username, createdAt: t } = rec;
  try {
    q.run(
      "INSERT INTO admins (id, username, name_key, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)",
      rec.id,
      username,
      username.toLowerCase(),
      rec.passwordHash,
      t,
      t,
    );
  } catch (err) {
    if (isUnique(err)) {
      throw new StoreError("ALREADY_EXISTS", `An admin named "${username}" already exists`);
    }
    throw err;
  }
  return rec;
}

/** The admins repository. */
export function sqliteAdmins(q: SqliteQueries): Store["admins"] {
  const byId = (id: string) => {
    const r = q.get("SELECT * FROM admins WHERE id = ?", id);
    return r && toAdmin(r);
  };
  return settled<Store["admins"]>({
    count: () => Promise.resolve(Number(q.get("SELECT count(*) AS n FROM admins")?.n ?? 0)),
    list: () => Promise.resolve(q.all("SELECT * FROM admins ORDER BY name_key").map(toAdmin)),
    get: (id) => Promise.resolve(byId(id)),
    getByName: (username) => {
      const r = q.get("SELECT * FROM admins WHERE name_key = ?", username.trim().toLowerCase());
      return Promise.resolve(r && toAdmin(r));
    },
    create: (input) => Promise.resolve(insertAdmin(q, input)),
    createFirst: (input) =>
      Promise.resolve(q.tx(() => {
        if (Number(q.get("SELECT count(*) AS n FROM admins")?.n ?? 0) > 0) return undefined;
        const rec = insertAdmin(q, input);
        q.run("DELETE FROM setup_codes");
        return rec;
      })),
    update: (id, patch) => {
      const sets: string[] = [];
      const params: SQLInputValue[] = [];
      for (const [k, v] of Object.entries(patch)) {
        const col = ADMIN_COLUMNS[k];
        if (!col || v === undefined) continue;
        sets.push(`${col} = ?`);
        params.push(v as SQLInputValue);
      }
      if (sets.length > 0) {
        q.run(`UPDATE admins SET ${sets.join(", ")} WHERE id = ?`, ...params, id);
      }
      const rec = byId(id);
      if (!rec) throw new StoreError("NOT_FOUND", `No admin with ID "${id}"`);
      return Promise.resolve(rec);
    },
    useTotpStep: (id, step) =>
      Promise.resolve(
        q.run(
          "UPDATE admins SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
          step,
          id,
          step,
        ) > 0,
      ),
    remove: (id) =>
      Promise.resolve(q.tx(() => {
        if (!q.get("SELECT id FROM admins WHERE id = ?", id)) return "missing" as const;
        if (Number(q.get("SELECT count(*) AS n FROM admins")?.n ?? 0) <= 1) return "last" as const;
        q.run("DELETE FROM sessions WHERE admin_id = ?", id);
        q.run("DELETE FROM admins WHERE id = ?", id);
        return "removed" as const;
      })),
    removeAll: () =>
      Promise.resolve(q.tx(() => {
        q.run("DELETE FROM sessions");
        return q.run("DELETE FROM admins");
      })),
  });
}

/** The sessions repository. */
export function sqliteSessions(q: SqliteQueries): Store["sessions"] {
  return settled<Store["sessions"]>({
    create: (input) => {
      const rec = { ...input, id: newId(), createdAt: input.createdAt ?? now() };
      q.run(
        "INSERT INTO sessions (id, admin_id, token_hash, stage, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rec.id,
        rec.adminId,
        rec.tokenHash,
        rec.stage,
        rec.ip,
        rec.createdAt,
        rec.expiresAt,
      );
      return Promise.resolve(rec);
    },
    getByHash: (hash) => {
      const r = q.get("SELECT * FROM sessions WHERE token_hash = ?", hash);
      return Promise.resolve(r && toSession(r));
    },
    list: (at) =>
      Promise.resolve(
        q.all("SELECT * FROM sessions WHERE expires_at > ? ORDER BY id DESC", at).map(toSession),
      ),
    remove: (id) => Promise.resolve(q.run("DELETE FROM sessions WHERE id = ?", id) > 0),
    removeByAdmin: (adminId, opts = {}) =>
      Promise.resolve(
        q.run(
          "DELETE FROM sessions WHERE admin_id = ? AND id <> ?",
          adminId,
          opts.except ?? "",
        ),
      ),
    purge: (at) => Promise.resolve(q.run("DELETE FROM sessions WHERE expires_at <= ?", at)),
  });
}

/** The failed-authentication counters. */
export function sqliteFailures(q: SqliteQueries): Store["failures"] {
  return settled<Store["failures"]>({
    add: (keys, at) => {
      if (keys.length === 0) return Promise.resolve();
      q.tx(() => {
        for (const k of keys) q.run("INSERT INTO auth_failures (key, at) VALUES (?, ?)", k, at);
      });
      return Promise.resolve();
    },
    recent: (key, since) => {
      const r = q.get(
        "SELECT count(*) AS n, min(at) AS oldest FROM auth_failures WHERE key = ? AND at >= ?",
        key,
        since,
      );
      return Promise.resolve({
        count: Number(r?.n ?? 0),
        oldest: r?.oldest === null || r?.oldest === undefined ? null : String(r.oldest),
      });
    },
    clear: (key) => {
      q.run("DELETE FROM auth_failures WHERE key = ?", key);
      return Promise.resolve();
    },
    purge: (before) => Promise.resolve(q.run("DELETE FROM auth_failures WHERE at < ?", before)),
  });
}

/** The setup codes. */
export function sqliteSetupCodes(q: SqliteQueries): Store["setupCodes"] {
  return settled<Store["setupCodes"]>({
    add: (hash, expiresAt) => {
      q.run("DELETE FROM setup_codes WHERE expires_at <= ?", now());
      q.run(
        "INSERT OR REPLACE INTO setup_codes (hash, expires_at) VALUES (?, ?)",
        hash,
        expiresAt,
      );
      return Promise.resolve();
    },
    valid: (hash, at) =>
      Promise.resolve(
        q.get("SELECT 1 AS ok FROM setup_codes WHERE hash = ? AND expires_at > ?", hash, at) !==
          undefined,
      ),
    any: (at) =>
      Promise.resolve(
        q.get("SELECT 1 AS ok FROM setup_codes WHERE expires_at > ? LIMIT 1", at) !== undefined,
      ),
  });
}
