/**
 * The PostgreSQL store's audit log: entries newest first, filtered by actor (case-insensitive),
 * action (one, or a group such as `script`), time range, and paged by ID.
 *
 * @module
 */

import type postgres from "postgres";
import { auditLimit, likeLiteral, toAudit } from "../auth_rows.ts";
import { newId } from "../ids.ts";
import { now } from "../rows.ts";
import type { AuditFilter, AuditRecord, NewAuditEntry, Store } from "../types.ts";
import type { Q } from "./jobs.ts";

/** `entry` as stored: its ID and time given. */
export function auditRecord(entry: NewAuditEntry): AuditRecord {
  return { ...entry, id: newId(), at: entry.at ?? now() };
}

/**
 * The values of `rec` as the select list of an `INSERT INTO audit (AUDIT_COLUMNS) SELECT ...`
 * (so that a statement can write it only when another part of it did something).
 */
export function auditValues(sql: Q, rec: AuditRecord): postgres.PendingQuery<postgres.Row[]> {
  return sql`${rec.id}::text, ${rec.at}::timestamptz, ${rec.actorKind}::text,
    ${rec.actorName}::text, ${rec.ip}::text, ${rec.action}::text, ${rec.target}::text,
    ${rec.detail === null ? null : sql.json(rec.detail as postgres.JSONValue)}::jsonb,
    ${rec.outcome}::text`;
}

/** The audit repository. */
export function pgAudit(sql: postgres.Sql): Store["audit"] {
  return {
    add: async (entry) => {
      const rec = auditRecord(entry);
      await sql`INSERT INTO audit
          (id, at, actor_kind, actor_name, ip, action, target, detail, outcome)
        VALUES (${rec.id}, ${rec.at}, ${rec.actorKind}, ${rec.actorName}, ${rec.ip},
          ${rec.action}, ${rec.target},
          ${rec.detail === null ? null : sql.json(rec.detail as postgres.JSONValue)},
          ${rec.outcome})`;
      return rec;
    },
    list: async (filter: AuditFilter = {}) => {
      const conds: postgres.PendingQuery<postgres.Row[]>[] = [];
      if (filter.actor) conds.push(sql`lower(actor_name) = lower(${filter.actor.trim()})`);
      if (filter.action) {
        const a = filter.action.trim();
        conds.push(
          a.includes(".")
            ? sql`action = ${a}`
            : sql`(action = ${a} OR action LIKE ${`${likeLiteral(a)}.%`} ESCAPE '\\')`,
        );
      }
      if (filter.from) conds.push(sql`at >= ${filter.from}`);
      if (filter.to) conds.push(sql`at < ${filter.to}`);
      if (filter.before) conds.push(sql`id < ${filter.before}`);
      const where = conds.reduce(
        (acc, c, i) => i === 0 ? sql`WHERE ${c}` : sql`${acc} AND ${c}`,
        sql``,
      );
      const rows = await sql`SELECT * FROM audit ${where}
        ORDER BY id DESC LIMIT ${auditLimit(filter)}`;
      return rows.map(toAudit);
    },
    purge: async (cutoff) => (await sql`DELETE FROM audit WHERE at < ${cutoff}`).count,
  };
}
