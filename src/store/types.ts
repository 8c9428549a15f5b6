/**
 * The persistence seam. The SQLite store implements it today; a PostgreSQL store for several
 * nodes will implement the same interface. Every method is async so both fit.
 *
 * Timestamps are ISO-8601 strings in UTC. IDs are opaque strings (ULID-like, sortable by time).
 *
 * @module
 */

export interface ScriptRecord {
  id: string;
  name: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}

/** A VFS Library entry as stored: options (which may hold credentials) are encrypted. */
export interface VfsRecord {
  id: string;
  name: string;
  type: string;
  target: string;
  /** AES-256-GCM ciphertext of the JSON options object (see `engine/crypto.ts`). */
  optionsEnc: string;
  createdAt: string;
  updatedAt: string;
}

export interface SecretRecord {
  id: string;
  name: string;
  /** AES-256-GCM ciphertext of the value. */
  valueEnc: string;
  createdAt: string;
  updatedAt: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "halted";
export type JobTrigger = "api" | "cli" | "schedule" | "ui";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface JobRecord {
  id: string;
  /** Stored script the job runs, or null for a job from a file. */
  scriptId: string | null;
  /** The stored script's name, or the file's base name. */
  scriptName: string;
  /** Absolute path of the `.syncjs` file for a job from a file. */
  filePath: string | null;
  /** Flat string parameters. */
  params: Record<string, string>;
  status: JobStatus;
  exitCode: number | null;
  /** One sentence saying why a job failed or was halted, when known. */
  error: string | null;
  trigger: JobTrigger;
  /** Node (host name) that ran or runs the job. */
  node: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Bytes the job moved through the copy engine. */
  bytesTransferred: number;
  /** Peak resident memory of the job's runner process, when known. */
  peakRssBytes: number | null;
}

export interface LogLine {
  jobId: string;
  /** 1-based, increasing per job. */
  seq: number;
  ts: string;
  level: LogLevel;
  text: string;
}

export interface JobFilter {
  status?: JobStatus;
  /** Script name, case-insensitive. */
  script?: string;
  limit?: number;
  /** Return jobs older than this job ID (newest first pagination). */
  before?: string;
}

export interface Store {
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  settings: {
    /** Raw stored values by key (only keys that were set). */
    all(): Promise<Record<string, unknown>>;
    set(key: string, value: unknown): Promise<void>;
    remove(key: string): Promise<void>;
  };

  scripts: {
    list(): Promise<ScriptRecord[]>;
    /** By ID. */
    get(id: string): Promise<ScriptRecord | undefined>;
    /** By name, case-insensitive. */
    getByName(name: string): Promise<ScriptRecord | undefined>;
    /** ALREADY_EXISTS (StoreError) when the name is taken, case-insensitively. */
    create(input: { name: string; source: string }): Promise<ScriptRecord>;
    update(id: string, patch: { name?: string; source?: string }): Promise<ScriptRecord>;
    remove(id: string): Promise<boolean>;
  };

  vfs: {
    list(): Promise<VfsRecord[]>;
    get(id: string): Promise<VfsRecord | undefined>;
    getByName(name: string): Promise<VfsRecord | undefined>;
    create(input: Omit<VfsRecord, "id" | "createdAt" | "updatedAt">): Promise<VfsRecord>;
    update(
      id: string,
      patch: Partial<Omit<VfsRecord, "id" | "createdAt" | "updatedAt">>,
    ): Promise<VfsRecord>;
    remove(id: string): Promise<boolean>;
  };

  secrets: {
    list(): Promise<SecretRecord[]>;
    /** By name, case-sensitive. */
    getByName(name: string): Promise<SecretRecord | undefined>;
    /** Creates or replaces. */
    put(name: string, valueEnc: string): Promise<SecretRecord>;
    remove(name: string): Promise<boolean>;
  };

  jobs: {
    create(
      input: Pick<JobRecord, "scriptId" | "scriptName" | "filePath" | "params" | "trigger">,
    ): Promise<JobRecord>;
    get(id: string): Promise<JobRecord | undefined>;
    list(filter?: JobFilter): Promise<JobRecord[]>;
    update(
      id: string,
      patch: Partial<Omit<JobRecord, "id" | "createdAt">>,
    ): Promise<JobRecord>;
    /** Marks `running` jobs of `node` as failed with `reason`; returns their IDs. */
    failRunning(node: string, reason: string): Promise<string[]>;
    appendLogs(lines: LogLine[]): Promise<void>;
    /** Lines with seq > afterSeq, in order. */
    logs(jobId: string, afterSeq?: number): Promise<LogLine[]>;
    /** Removes finished jobs (and their logs) finished before `cutoff`; returns how many. */
    purge(cutoff: string): Promise<number>;
  };
}

/** A store failure with a stable code (`ALREADY_EXISTS`, `NOT_FOUND`, `CORRUPT`, `INVALID`). */
export class StoreError extends Error {
  override name = "StoreError";
  readonly code: "ALREADY_EXISTS" | "NOT_FOUND" | "CORRUPT" | "INVALID";
  constructor(code: StoreError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
