/**
 * The PostgreSQL store's repositories of the web console's accounts: admins, sessions, failed
 * authentications and setup codes. Creating the first admin and removing one lock the admins
 * table for the transaction, so two nodes cannot both create a "first" admin nor remove the
 * last two at once.
 *
 * @module
 */

import type postgres from "postgres";
import { ADMIN_COLUMNS, newAdminRecord, toAdmin, toSession } from "../auth_rows.ts";
import { newId } from "../ids.ts";
import { now } from "../rows.ts";
import { type AdminRecord, type NewAdmin, type Store, StoreError } from "../types.ts";
import type { Q } from "./jobs.ts";

/** Inserts an admin (in the caller's transaction, if any). */
async function insertAdmin(q: Q, input: NewAdmin): Promise<AdminRecord> {
  const rec = newAdminRecord(input);
  const { username, createdAt: t } = rec;
  const rows = await q`INSERT INTO admins
      (id, username, name_key, password_hash, created_at, password_changed_at)
    VALUES (${rec.id}, ${username}, ${username.toLowerCase()}, ${rec.passwordHash}, ${t}, ${t})
    ON CONFLICT (name_key) DO NOTHING
    RETURNING id`;
  if (rows.length === 0) {
    throw new StoreError("ALREADY_EXISTS", `An admin named "${username}" already exists`);
  }
  return rec;
}

/** The admins repository. */
export function pgAdmins(sql: postgres.Sql): Store["admins"] {
  const count = async (q: Q) => Number((await q`SELECT count(*) AS n FROM admins`)[0]?.n ?? 0);
  return {
    count: () => count(sql),
    list: async () => (await sql`SELECT * FROM admins ORDER BY name_key`).map(toAdmin),
    get: async (id) => {
      const [r] = await sql`SELECT * FROM admins WHERE id = ${id}`;
      return r && toAdmin(r);
    },
    getByName: async (username) => {
      const [r] = await sql`SELECT * FROM admins
        WHERE name_key = ${username.trim().toLowerCase()}`;
      return r && toAdmin(r);
    },
    create: (input) => insertAdmin(sql, input),
    createFirst: (input) =>
      sql.begin(async (tx) => {
        await tx`LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE`;
        if (await count(tx) > 0) return undefined;
        const rec = await insertAdmin(tx, input);
        await tx`DELETE FROM setup_codes`;
        return rec;
      }) as Promise<AdminRecord | undefined>,
    update: async (id, patch) => {
      const set: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(patch)) {
        const col = ADMIN_COLUMNS[k];
        if (col && v !== undefined) set[col] = v as string | null;
      }
      const cols = Object.keys(set);
      const [r] = cols.length > 0
        ? await sql`UPDATE admins SET ${sql(set, cols)} WHERE id = ${id} RETURNING *`
        : await sql`SELECT * FROM admins WHERE id = ${id}`;
      if (!r) throw new StoreError("NOT_FOUND", `No admin with ID "${id}"`);
      return toAdmin(r);
    },
    useTotpStep: async (id, step) =>
      (await sql`UPDATE admins SET totp_last_step = ${step}
        WHERE id = ${id} AND (totp_last_step IS NULL OR totp_last_step < ${step})`).count > 0,
    remove: (id) =>
      sql.begin(async (tx) => {
        await tx`LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE`;
        if ((await tx`SELECT id FROM admins WHERE id = ${id}`).length === 0) {
          return "missing" as const;
        }
        if (await count(tx) <= 1) return "last" as const;
        await tx`DELETE FROM sessions WHERE admin_id = ${id}`;
        await tx`DELETE FROM admins WHERE id = ${id}`;
        return "removed" as const;
      }) as Promise<"removed" | "last" | "missing">,
    removeAll: () =>
      sql.begin(async (tx) => {
        await tx`DELETE FROM sessions`;
        return (await tx`DELETE FROM admins`).count;
      }) as Promise<number>,
  };
}

/** The sessions repository. */
export function pgSessions(sql: postgres.Sql): Store["sessions"] {
  return {
    create: async (input) => {
      const rec = { ...input, id: newId(), createdAt: input.createdAt ?? now() };
      await sql`INSERT INTO sessions
          (id, admin_id, token_hash, stage, ip, created_at, expires_at)
        VALUES (${rec.id}, ${rec.adminId}, ${rec.tokenHash}, ${rec.stage}, ${rec.ip},
          ${rec.createdAt}, ${rec.expiresAt})`;
      return rec;
    },
    getByHash: async (hash) => {
      const [r] = await sql`SELECT * FROM sessions WHERE token_hash = ${hash}`;
      return r && toSession(r);
    },
    list: async (at) =>
      (await sql`SELECT * FROM sessions WHERE expires_at > ${at} ORDER BY id DESC`).map(
        toSession,
      ),
    remove: async (id) => (await sql`DELETE FROM sessions WHERE id = ${id}`).count > 0,
    removeByAdmin: async (adminId, opts = {}) =>
      (await sql`DELETE FROM sessions
        WHERE admin_id = ${adminId} AND id <> ${opts.except ?? ""}`).count,
    purge: async (at) => (await sql`DELETE FROM sessions WHERE expires_at <= ${at}`).count,
  };
}

/** The failed-authentication counters. */
export function pgFailures(sql: postgres.Sql): Store["failures"] {
  return {
    add: async (keys, at) => {
      if (keys.length === 0) return;
      await sql`INSERT INTO auth_failures (key, at)
        SELECT k, ${at}::timestamptz FROM unnest(${keys}::text[]) AS k`;
    },
    recent: async (key, since) => {
      const [r] = await sql`SELECT count(*) AS n, min(at) AS oldest FROM auth_failures
        WHERE key = ${key} AND at >= ${since}`;
      const oldest = r?.oldest;
      return {
        count: Number(r?.n ?? 0),
        oldest: oldest === null || oldest === undefined
          ? null
          : oldest instanceof Date
          ? oldest.toISOString()
          : String(oldest),
      };
    },
    clear: async (key) => {
      await sql`DELETE FROM auth_failures WHERE key = ${key}`;
    },
    purge: async (before) => (await sql`DELETE FROM auth_failures WHERE at < ${before}`).count,
  };
}

/** The setup codes. */
export function pgSetupCodes(sql: postgres.Sql): Store["setupCodes"] {
  return {
    add: async (hash, expiresAt) => {
      await sql`DELETE FROM setup_codes WHERE expires_at <= ${now()}`;
      await sql`INSERT INTO setup_codes (hash, expires_at) VALUES (${hash}, ${expiresAt})
        ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at`;
    },
    valid: async (hash, at) =>
      (await sql`SELECT 1 AS ok FROM setup_codes WHERE hash = ${hash} AND expires_at > ${at}`)
        .length > 0,
    any: async (at) =>
      (await sql`SELECT 1 AS ok FROM setup_codes WHERE expires_at > ${at} LIMIT 1`).length > 0,
  };
}
