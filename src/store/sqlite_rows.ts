/**
 * Rows of the SQLite store and the records they hold: one mapper per table, the job columns a
 * patch may set, and the checks on names shared by every table that has them.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import {
  type ApiKeyRecord,
  type JobRecord,
  type ScheduleRecord,
  type ScriptRecord,
  type SecretRecord,
  StoreError,
  type VfsRecord,
} from "./types.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;
/** Now, as the stored ISO text. */
export const now = () => new Date().toISOString();

export function checkName(name: string): string {
  const n = name.trim();
  if (n === "") throw new StoreError("INVALID", "A name cannot be empty");
  if (n.length > 200) {
    throw new StoreError("INVALID", "A name cannot be longer than 200 characters");
  }
  return n;
}

export function isUnique(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed/.test(err.message);
}

export function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    hash: r.hash as string,
    allow: JSON.parse(r.allow as string),
    scopes: JSON.parse(r.scopes as string),
    createdAt: r.created_at as string,
    lastUsedAt: (r.last_used_at as string | null) ?? null,
    lastCallerIp: (r.last_caller_ip as string | null | undefined) ?? null,
  };
}

export function toSchedule(r: Row): ScheduleRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    script: r.script as string,
    cron: r.cron as string,
    params: JSON.parse(r.params as string),
    enabled: Number(r.enabled) === 1,
    nextRunAt: (r.next_run_at as string | null) ?? null,
    lastRunAt: (r.last_run_at as string | null) ?? null,
    lastJobId: (r.last_job_id as string | null) ?? null,
    createdAt: r.created_at as string,
  };
}

export function toScript(r: Row): ScriptRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    source: r.source as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function toVfs(r: Row): VfsRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    type: r.type as string,
    target: r.target as string,
    optionsEnc: r.options_enc as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function toSecret(r: Row): SecretRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    valueEnc: r.value_enc as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function toJob(r: Row): JobRecord {
  return {
    id: r.id as string,
    scriptId: (r.script_id as string | null) ?? null,
    scriptName: r.script_name as string,
    filePath: (r.file_path as string | null) ?? null,
    params: JSON.parse(r.params as string),
    status: r.status as JobRecord["status"],
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    error: (r.error as string | null) ?? null,
    trigger: r.trigger as JobRecord["trigger"],
    node: (r.node as string | null) ?? null,
    createdAt: r.created_at as string,
    startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null,
    bytesTransferred: Number(r.bytes_transferred ?? 0),
    peakRssBytes: r.peak_rss_bytes === null || r.peak_rss_bytes === undefined
      ? null
      : Number(r.peak_rss_bytes),
    owner: (r.owner as string | null | undefined) ?? null,
  };
}

/**
 * The `SET` clause of an update from `patch`, for the fields `columns` maps (others and
 * undefined values are left out); objects are stored as JSON, booleans as 0 and 1.
 */
export function setClause(
  columns: Record<string, string>,
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

/** Columns of the schedule fields a patch may set. */
export const SCHEDULE_COLUMNS: Record<string, string> = {
  name: "name",
  nameKey: "name_key",
  script: "script",
  cron: "cron",
  params: "params",
  enabled: "enabled",
  nextRunAt: "next_run_at",
};

/** Columns of the job fields a patch may set. */
export const JOB_COLUMNS: Record<string, string> = {
  scriptId: "script_id",
  scriptName: "script_name",
  filePath: "file_path",
  params: "params",
  status: "status",
  exitCode: "exit_code",
  error: "error",
  trigger: "trigger",
  node: "node",
  startedAt: "started_at",
  finishedAt: "finished_at",
  bytesTransferred: "bytes_transferred",
  peakRssBytes: "peak_rss_bytes",
  owner: "owner",
};
