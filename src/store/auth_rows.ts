/**
 * Rows of the console's tables (admins, sessions, the audit log) to records, for both stores:
 * SQLite gives text for times and JSON, PostgreSQL `Date` for `timestamptz`, parsed objects for
 * `jsonb` and text for `bigint`; each mapper takes either.
 *
 * @module
 */

import { newId } from "./ids.ts";
import { checkName, now } from "./rows.ts";
import type { AdminRecord, AuditFilter, AuditRecord, NewAdmin, SessionRecord } from "./types.ts";

/** A row as a driver returns it, by column name. */
type AnyRow = Record<string, unknown>;

const isoOf = (v: unknown): string => v instanceof Date ? v.toISOString() : String(v);
const isoOrNull = (v: unknown): string | null => v === null || v === undefined ? null : isoOf(v);
const textOrNull = (v: unknown): string | null => v === null || v === undefined ? null : String(v);

/** The record of a new admin, before either store inserts it (the name checked, no TOTP yet). */
export function newAdminRecord(input: NewAdmin): AdminRecord {
  const t = now();
  return {
    id: newId(),
    username: checkName(input.username),
    passwordHash: input.passwordHash,
    totpSecretEnc: null,
    totpPendingEnc: null,
    totpLastStep: null,
    createdAt: t,
    passwordChangedAt: t,
    lastSignInAt: null,
  };
}

/** An admins row as a record. */
export function toAdmin(r: AnyRow): AdminRecord {
  return {
    id: String(r.id),
    username: String(r.username),
    passwordHash: String(r.password_hash),
    totpSecretEnc: textOrNull(r.totp_secret_enc),
    totpPendingEnc: textOrNull(r.totp_pending_enc),
    totpLastStep: r.totp_last_step === null || r.totp_last_step === undefined
      ? null
      : Number(r.totp_last_step),
    createdAt: isoOf(r.created_at),
    passwordChangedAt: isoOf(r.password_changed_at),
    lastSignInAt: isoOrNull(r.last_sign_in_at),
  };
}

/** Columns of the admin fields an update may set. */
export const ADMIN_COLUMNS: Readonly<Record<string, string>> = {
  passwordHash: "password_hash",
  totpSecretEnc: "totp_secret_enc",
  totpPendingEnc: "totp_pending_enc",
  passwordChangedAt: "password_changed_at",
  lastSignInAt: "last_sign_in_at",
};

export function toSession(r: AnyRow): SessionRecord {
  return {
    id: String(r.id),
    adminId: String(r.admin_id),
    tokenHash: String(r.token_hash),
    stage: r.stage === "totp" ? "totp" : "active",
    ip: String(r.ip),
    createdAt: isoOf(r.created_at),
    expiresAt: isoOf(r.expires_at),
  };
}

export function toAudit(r: AnyRow): AuditRecord {
  const detail = r.detail === null || r.detail === undefined
    ? null
    : typeof r.detail === "string"
    ? JSON.parse(r.detail)
    : r.detail;
  return {
    id: String(r.id),
    at: isoOf(r.at),
    actorKind: String(r.actor_kind),
    actorName: String(r.actor_name),
    ip: textOrNull(r.ip),
    action: String(r.action),
    target: textOrNull(r.target),
    detail: detail as Record<string, unknown> | null,
    outcome: r.outcome === "failed" ? "failed" : "ok",
  };
}

/** The page size of an audit query: 50 unless given, at most 1000. */
export function auditLimit(filter: AuditFilter): number {
  return Math.max(1, Math.min(filter.limit ?? 50, 1000));
}

/** `%`, `_` and `\` of a LIKE pattern taken literally (with `ESCAPE '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (m) => "\\" + m);
}
