/**
 * The SQLite store's audit log: entries newest first, filtered by actor, action (one, or a
 * group such as `script`), time range, and paged by ID.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import { auditLimit, likeLiteral, toAudit } from "./auth_rows.ts";
import { newId } from "./ids.ts";
import { settled } from "./sqlite_file.ts";
import type { SqliteQueries } from "./sqlite_query.ts";
import { now } from "./rows.ts";
import type { AuditFilter, AuditRecord, NewAuditEntry, Store } from "./types.ts";

/** Writes one audit entry (in the caller's transaction, if any); returns it as stored. */
export function insertAudit(q: SqliteQueries, entry: NewAuditEntry): AuditRecord {
  const rec: AuditRecord = { ...entry, id: newId(), at: entry.at ?? now() };
  q.run(
    "INSERT INTO audit (id, at, actor_kind, actor_name, ip, action, target, detail, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    rec.id,
    rec.at,
    rec.actorKind,
    rec.actorName,
    rec.ip,
    rec.action,
    rec.target,
    rec.detail === null ? null : JSON.stringify(rec.detail),
    rec.outcome,
  );
  return rec;
}

/** The audit repository. */
export function sqliteAudit(q: SqliteQueries): Store["audit"] {
  return settled<Store["audit"]>({
    add: (entry) => Promise.resolve(insertAudit(q, entry)),
    list: (filter: AuditFilter = {}) => {
      const where: string[] = [];
      const params: SQLInputValue[] = [];
      if (filter.actor) {
        where.push("actor_name = ? COLLATE NOCASE");
        params.push(filter.actor.trim());
      }
      if (filter.action) {
        const a = filter.action.trim();
        if (a.includes(".")) {
          where.push("action = ?");
          params.push(a);
        } else {
          where.push("(action = ? OR action LIKE ? ESCAPE '\\')");
          params.push(a, `${likeLiteral(a)}.%`);
        }
      }
      if (filter.from) {
        where.push("at >= ?");
        params.push(filter.from);
      }
      if (filter.to) {
        where.push("at < ?");
        params.push(filter.to);
      }
      if (filter.before) {
        where.push("id < ?");
        params.push(filter.before);
      }
      const sql = `SELECT * FROM audit ${
        where.length ? "WHERE " + where.join(" AND ") : ""
      } ORDER BY id DESC LIMIT ${auditLimit(filter)}`;
      return Promise.resolve(q.all(sql, ...params).map(toAudit));
    },
    purge: (cutoff) => Promise.resolve(q.run("DELETE FROM audit WHERE at < ?", cutoff)),
  });
}
