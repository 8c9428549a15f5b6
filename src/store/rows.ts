/**
 * Rows to records, shared by both stores. SQLite gives text for times and JSON columns;
 * PostgreSQL gives `Date` for `timestamptz`, parsed objects for `jsonb`, and text for `bigint`:
 * each helper takes either.
 *
 * @module
 */

import {
  type ApiKeyRecord,
  type JobRecord,
  type LogLine,
  type NewJob,
  type NodeRecord,
  type ScheduleRecord,
  type ScriptRecord,
  type SecretRecord,
  StoreError,
  type VfsRecord,
} from "./types.ts";

/** A row as a driver returns it, by column name. */
export type Row = Record<string, unknown>;

/** The current time as ISO text. */
export const now = (): string => new Date().toISOString();

/** A trimmed name, at most 200 characters; INVALID when empty or longer. */
export function checkName(name: string): string {
  const n = name.trim();
  if (n === "") throw new StoreError("INVALID", "A name cannot be empty");
  if (n.length > 200) {
    throw new StoreError("INVALID", "A name cannot be longer than 200 characters");
  }
  // PostgreSQL's text cannot hold NUL; no name needs one.
  if (n.includes("\u0000")) {
    throw new StoreError("INVALID", "A name cannot contain a NUL character");
  }
  return n;
}

/** Log text as stored: NUL (which PostgreSQL's text cannot hold) becomes U+FFFD. */
export function logText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/** ISO text of a time column (text or Date). */
export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** ISO text of a nullable time column. */
export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : iso(v);
}

/** A JSON column (text or already parsed). */
export function json<T>(v: unknown): T {
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

function num(v: unknown): number {
  return Number(v ?? 0);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    prefix: String(r.prefix),
    hash: String(r.hash),
    allow: json(r.allow),
    scopes: json(r.scopes),
    createdAt: iso(r.created_at),
    lastUsedAt: isoOrNull(r.last_used_at),
    lastCallerIp: r.last_caller_ip === null || r.last_caller_ip === undefined
      ? null
      : String(r.last_caller_ip),
  };
}

export function toSchedule(r: Row): ScheduleRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    script: String(r.script),
    cron: String(r.cron),
    params: json(r.params),
    enabled: r.enabled === true || Number(r.enabled) === 1,
    nextRunAt: isoOrNull(r.next_run_at),
    lastRunAt: isoOrNull(r.last_run_at),
    lastJobId: strOrNull(r.last_job_id),
    createdAt: iso(r.created_at),
  };
}

export function toScript(r: Row): ScriptRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    source: String(r.source),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toVfs(r: Row): VfsRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    type: String(r.type),
    target: String(r.target),
    optionsEnc: String(r.options_enc),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toSecret(r: Row): SecretRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    valueEnc: String(r.value_enc),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toJob(r: Row): JobRecord {
  return {
    id: String(r.id),
    scriptId: strOrNull(r.script_id),
    scriptName: String(r.script_name),
    filePath: strOrNull(r.file_path),
    params: json(r.params),
    status: r.status as JobRecord["status"],
    exitCode: numOrNull(r.exit_code),
    error: strOrNull(r.error),
    trigger: r.trigger as JobRecord["trigger"],
    node: strOrNull(r.node),
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    bytesTransferred: num(r.bytes_transferred),
    peakRssBytes: numOrNull(r.peak_rss_bytes),
    owner: strOrNull(r.owner),
  };
}

export function toLogLine(r: Row): LogLine {
  return {
    jobId: String(r.job_id),
    seq: Number(r.seq),
    ts: iso(r.ts),
    level: r.level as LogLine["level"],
    text: String(r.text),
  };
}

export function toNode(r: Row): NodeRecord {
  return {
    id: String(r.id),
    address: strOrNull(r.address),
    version: String(r.version),
    startedAt: iso(r.started_at),
    heartbeatAt: iso(r.heartbeat_at),
    heartbeatAgeSeconds: Math.max(0, Number(r.heartbeat_age ?? 0)),
    draining: r.draining === true || Number(r.draining) === 1,
    running: num(r.running),
  };
}

/** Job record fields to their columns, for partial updates. */
export const JOB_COLUMNS: Readonly<Record<string, string>> = {
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

/** Schedule record fields to their columns, for partial updates. */
export const SCHEDULE_COLUMNS: Readonly<Record<string, string>> = {
  name: "name",
  nameKey: "name_key",
  script: "script",
  cron: "cron",
  params: "params",
  enabled: "enabled",
  nextRunAt: "next_run_at",
};

/** Zero counts for every job status. */
export function zeroCounts(): Record<JobRecord["status"], number> {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, halted: 0 };
}

/** The unique key of one schedule slot (a schedule and its due time). */
export function slotKey(scheduleId: string, due: string): string {
  return `${scheduleId}@${due}`;
}

/** The refusal of a database that a newer aft has upgraded (`known`: our newest migration). */
export function newerSchema(location: string, version: number, known: number): StoreError {
  return new StoreError(
    "NEWER_SCHEMA",
    `The database ${location} has schema version ${version}, newer than this aft knows (${known}): upgrade aft on this host (every node on one database runs the same aft)`,
  );
}

/**
 * A job as `jobs.create` and `schedules.fire` make it: queued, or already running when
 * `input.running` names its node and process.
 */
export function newJobRecord(id: string, input: NewJob): JobRecord {
  const t = now();
  return {
    id,
    scriptId: input.scriptId,
    scriptName: input.scriptName,
    filePath: input.filePath,
    params: input.params,
    status: input.running ? "running" : "queued",
    exitCode: null,
    error: null,
    trigger: input.trigger,
    node: input.running?.node ?? null,
    createdAt: t,
    startedAt: input.running ? t : null,
    finishedAt: null,
    bytesTransferred: 0,
    peakRssBytes: null,
    owner: input.running?.owner ?? null,
  };
}
