/**
 * The persistence seam. Two stores implement it: SQLite (the embedded default, `sqlite.ts`) and
 * PostgreSQL for several nodes sharing one database (`postgres/`); `open.ts` chooses. Every
 * method is async so both fit, and one conformance suite (`tests/store/`) runs on both.
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
/** Statuses of a job that has ended. */
export const FINISHED: readonly JobStatus[] = ["succeeded", "failed", "halted"];
/** Every job status. */
export const JOB_STATUSES: readonly JobStatus[] = ["queued", "running", ...FINISHED];
export type JobTrigger = "api" | "cli" | "schedule" | "ui";
/** Every job trigger. */
export const JOB_TRIGGERS: readonly JobTrigger[] = ["api", "cli", "schedule", "ui"];
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * A job as every surface shows it (the REST API, the CLI's `--json`, the clients of the API):
 * the stored record without the store's own bookkeeping.
 */
export interface JobView {
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

/** A job as stored. */
export interface JobRecord extends JobView {
  /**
   * The process that runs the job (`pid:start` on the job's `node`), so that at start-up a
   * process fails only the jobs whose owner is gone; null while queued and for older rows.
   */
  owner: string | null;
}

/** What a new job is made of; `running` records it as already claimed by that process. */
export type NewJob =
  & Pick<JobRecord, "scriptId" | "scriptName" | "filePath" | "params" | "trigger">
  & {
    running?: { node: string; owner: string };
  };

export interface LogLine {
  jobId: string;
  /** 1-based, increasing per job. */
  seq: number;
  ts: string;
  level: LogLevel;
  text: string;
}

/** An API key as stored: only the SHA-256 of the key is kept. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** First characters of the key, shown in lists so a key can be recognised. */
  prefix: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** Addresses and CIDR ranges the key may be used from. */
  allow: string[];
  /** `jobs:start`, `jobs:read`, `files`, `admin`. */
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  /** The address of the last caller that used the key, with `lastUsedAt`. */
  lastCallerIp: string | null;
}

export interface ScheduleRecord {
  id: string;
  name: string;
  /** Stored script name (matched case-insensitively when the schedule fires). */
  script: string;
  cron: string;
  params: Record<string, string>;
  enabled: boolean;
  /** The next time the schedule is due; null when the expression has no future run. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastJobId: string | null;
  createdAt: string;
}

/** Jobs that ended in one hour with one status (see `jobs.hourly`). */
export interface HourlyJobs {
  /** The hour, UTC: `2026-03-01T22`. */
  hour: string;
  status: JobStatus;
  count: number;
  bytes: number;
}

/** An `aft serve` node as registered in the store (see {@link Store.nodes}). */
export interface NodeRecord {
  /** The node's name, unique among the nodes on one store. */
  id: string;
  /** Where the node's API listens (`HOST:PORT`), when it serves one. */
  address: string | null;
  /** The aft version the node runs. */
  version: string;
  startedAt: string;
  /** The last heartbeat, by the store's clock. */
  heartbeatAt: string;
  /** Seconds since the last heartbeat, by the store's clock (no skew between nodes). */
  heartbeatAgeSeconds: number;
  /** A draining node claims no new jobs and finishes what it runs. */
  draining: boolean;
  /** Jobs `running` on this node now. */
  running: number;
}

/** What the store can signal between processes (see {@link StoreSignals}). */
export type StoreChannel = "job_queued" | "job_halt" | "job_changed";

/**
 * Signals between the processes on one store. PostgreSQL delivers them to every node (LISTEN and
 * NOTIFY, sent on commit); SQLite only within this process. A signal can be lost (a dropped
 * connection, a process that was not listening yet): it only prompts a look at the store, which
 * stays the truth, so a node must also poll.
 */
export interface StoreSignals {
  /**
   * Calls `fn` with each payload sent on `channel`. `onListen` runs once listening starts and
   * again after each reconnection (signals sent while disconnected are lost: look at the store
   * then). Returns a function that stops listening.
   */
  listen(
    channel: StoreChannel,
    fn: (payload: string) => void,
    opts?: { onListen?: () => void },
  ): Promise<() => Promise<void>>;
  /** Sends `payload` (at most 7,900 bytes) to every listener of `channel`. */
  notify(channel: StoreChannel, payload: string): Promise<void>;
}

/** Who claims a job, for `jobs.finishAndClaim`; see `jobs.claim`. */
export interface ClaimRequest {
  node: string;
  owner?: string;
  leaseSeconds?: number;
}

export interface JobFilter {
  status?: JobStatus;
  /** Script name, case-insensitive. */
  script?: string;
  trigger?: JobTrigger;
  /** Jobs created at or after this time (ISO). */
  createdFrom?: string;
  /** Jobs created before this time (ISO). */
  createdTo?: string;
  limit?: number;
  /** Return jobs older than this job ID (newest first pagination). */
  before?: string;
}

export interface Store {
  /** Which store this is. */
  readonly kind: "sqlite" | "postgres";
  /** Where it is, safe to print: the file, or the URL without its password. */
  readonly location: string;
  /**
   * A consistent copy of the whole store into the new file `dest` while others use it (SQLite
   * `VACUUM INTO`); absent where the database's own tools do that (PostgreSQL: pg_dump).
   */
  snapshot?(dest: string): Promise<void>;
  /** What the database's own check finds wrong (`PRAGMA integrity_check`); empty when sound. */
  integrityCheck?(): Promise<string[]>;
  /** The schema version the store is at. */
  schemaVersion?(): Promise<number>;
  /**
   * A value that changes whenever another connection (another process) has committed to the
   * database since the last call, read at once (SQLite's `data_version`); absent where the store
   * cannot tell cheaply (PostgreSQL). Lets a cache of this process know it may be stale.
   */
  changeMark?(): number;
  /**
   * Creates or upgrades the schema. Idempotent, and safe when several processes start at once
   * (PostgreSQL migrates under an advisory lock). NEWER_SCHEMA when the database has a schema
   * newer than this aft knows: such a database is never touched.
   */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Signals between processes; present on both stores (PostgreSQL: across nodes). */
  signals?: StoreSignals;

  settings: {
    /** Raw stored values by key (only keys that were set). */
    all(): Promise<Record<string, unknown>>;
    set(key: string, value: unknown): Promise<void>;
    /**
     * Stores `value` under `key` only when the key holds nothing yet (insert-if-absent, atomic
     * across connections and nodes); true when this call stored it, false when a value was
     * already there (that value is kept).
     */
    add(key: string, value: unknown): Promise<boolean>;
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
    /**
     * Records a job, `queued` (or `running`, owned by `input.running`). With `audit`, the job's
     * audit entry (made from the new job, for its ID) is written in the same transaction: both
     * are stored or neither is.
     */
    create(input: NewJob, audit?: (job: JobRecord) => NewAuditEntry): Promise<JobRecord>;
    get(id: string): Promise<JobRecord | undefined>;
    list(filter?: JobFilter): Promise<JobRecord[]>;
    update(
      id: string,
      patch: Partial<Omit<JobRecord, "id" | "createdAt">>,
    ): Promise<JobRecord>;
    /**
     * Marks those of `ids` that are still `running` as failed with `reason` (and a log line
     * saying it); returns the IDs it changed.
     */
    failOrphans(ids: string[], reason: string): Promise<string[]>;
    appendLogs(lines: LogLine[]): Promise<void>;
    /** Lines with seq > afterSeq, in order; at most `limit` of them when given. */
    logs(jobId: string, afterSeq?: number, limit?: number): Promise<LogLine[]>;
    /** The `seq` of the job's last stored line; 0 when it has none. */
    lastLogSeq(jobId: string): Promise<number>;
    /** Removes finished jobs (and their logs) finished before `cutoff`; returns how many. */
    purge(cutoff: string): Promise<number>;
    /**
     * Atomically takes the oldest queued job for `node` (status `running`, `startedAt` set,
     * `owner`: the claiming process, see `JobRecord.owner`) with a lease of `leaseSeconds`
     * (default 30) that the node renews with `renewLeases`; undefined when none is queued. Two
     * nodes or processes never take the same job.
     */
    claim(
      node: string,
      opts?: { owner?: string; leaseSeconds?: number },
    ): Promise<JobRecord | undefined>;
    /**
     * Records the end of job `id` (`update` with `patch`) and, in the same transaction, claims
     * the oldest queued job as `claim(next.node, next)` does: a node whose job ended takes its
     * next one in the same round trip to the store. Throws NOT_FOUND, claiming nothing, when
     * there is no job `id`; `next` is undefined when none is queued.
     */
    finishAndClaim(
      id: string,
      patch: Partial<Omit<JobRecord, "id" | "createdAt">>,
      next: ClaimRequest,
    ): Promise<{ job: JobRecord; next: JobRecord | undefined }>;
    /**
     * Extends to now + `leaseSeconds` the lease of every job `running` on `node` that holds one
     * (a job recorded `running` by `create`, as `aft run` does, holds none); returns them,
     * by ID, each saying whether a halt was requested for it (see `requestHalt`). A job the node
     * runs that is missing from the list is no longer its own (its lease expired and another
     * node failed it): the node should stop it.
     */
    renewLeases(
      node: string,
      leaseSeconds: number,
    ): Promise<{ id: string; haltRequested: boolean }[]>;
    /**
     * Records that a `running` job should halt, and signals its ID on `job_halt`, so the node
     * that runs it stops it: at once when it hears the signal, else at its next `renewLeases`.
     * Returns false (recording nothing) when the job is not running.
     */
    requestHalt(id: string): Promise<boolean>;
    /**
     * Fails every `running` job whose lease has expired (its node stopped renewing), with the
     * error `reason(node)` and that as the last log line; returns the jobs failed and their
     * nodes. Safe to call from every node at once: each job is failed once.
     */
    failExpired(
      reason: (node: string) => string,
    ): Promise<{ id: string; node: string }[]>;
    /** Counts by status, for metrics. */
    countByStatus(): Promise<Record<JobStatus, number>>;
    /** Sums over the job history, for metrics. */
    totals(): Promise<{ bytes: number }>;
    /**
     * Finished jobs per hour (UTC, `YYYY-MM-DDTHH`) of their end, from `since` on: how many
     * ended with each status and the bytes they moved; hours without jobs are absent.
     */
    hourly(since: string): Promise<HourlyJobs[]>;
  };

  apikeys: {
    list(): Promise<ApiKeyRecord[]>;
    getByHash(hash: string): Promise<ApiKeyRecord | undefined>;
    /** ALREADY_EXISTS when the name is taken, case-insensitively. */
    create(
      input: Omit<ApiKeyRecord, "id" | "createdAt" | "lastUsedAt" | "lastCallerIp">,
    ): Promise<ApiKeyRecord>;
    /** Records a use of the key now, by a caller at `ip`. */
    touch(id: string, ip?: string): Promise<void>;
    /** By ID or name (case-insensitive). */
    remove(idOrName: string): Promise<boolean>;
  };

  schedules: {
    list(): Promise<ScheduleRecord[]>;
    /** By ID or name (case-insensitive). */
    get(idOrName: string): Promise<ScheduleRecord | undefined>;
    create(input: Omit<ScheduleRecord, "id" | "createdAt" | "lastRunAt" | "lastJobId">): Promise<
      ScheduleRecord
    >;
    remove(idOrName: string): Promise<boolean>;
    /**
     * Fires a due schedule exactly once: when its `nextRunAt` still equals `due`, moves it to
     * `next` and creates the job in the same transaction; returns the job, or undefined when
     * another process fired it first. The job carries the slot key (schedule ID and `due`),
     * unique in the job table, so a slot never runs twice even when `nextRunAt` is set back to
     * a slot that already ran (the schedule then moves on without a job).
     */
    fire(
      id: string,
      due: string,
      next: string | null,
      job: Pick<JobRecord, "scriptId" | "scriptName" | "params">,
    ): Promise<JobRecord | undefined>;
    /** Sets the next run time (after a cron change or a start-up recomputation). */
    setNext(id: string, next: string | null): Promise<void>;
    /**
     * Changes a schedule (ALREADY_EXISTS for a name taken, NOT_FOUND when there is none);
     * returns it as it is now.
     */
    update(
      id: string,
      patch: Partial<
        Pick<ScheduleRecord, "name" | "script" | "cron" | "params" | "enabled" | "nextRunAt">
      >,
    ): Promise<ScheduleRecord>;
  };

  /** Web console administrator accounts (the setup wizard creates the first). */
  admins: {
    count(): Promise<number>;
    /** By user name, case-insensitively. */
    list(): Promise<AdminRecord[]>;
    get(id: string): Promise<AdminRecord | undefined>;
    /** By user name, case-insensitive. */
    getByName(username: string): Promise<AdminRecord | undefined>;
    /** ALREADY_EXISTS when the name is taken, case-insensitively. */
    create(input: NewAdmin): Promise<AdminRecord>;
    /**
     * The setup wizard's first admin: created only while there is none, and then every setup
     * code is spent, in one transaction; undefined when an admin exists already.
     */
    createFirst(input: NewAdmin): Promise<AdminRecord | undefined>;
    /** NOT_FOUND when there is no such admin. */
    update(id: string, patch: AdminPatch): Promise<AdminRecord>;
    /**
     * Records TOTP time step `step` as used, only when it is later than the last one used
     * (a code is accepted once); false when it is not, or the admin is gone.
     */
    useTotpStep(id: string, step: number): Promise<boolean>;
    /**
     * Removes an admin and their sessions; "last" (nothing removed) when it is the only one,
     * "missing" when there is no such admin.
     */
    remove(id: string): Promise<"removed" | "last" | "missing">;
    /** Removes every admin and every session (`aft reinit`); returns how many admins. */
    removeAll(): Promise<number>;
  };

  /** Console sessions: only a hash of each token is kept. */
  sessions: {
    /** `createdAt` defaults to now (a session gives it, so its lifetime is exact). */
    create(
      input: Omit<SessionRecord, "id" | "createdAt"> & { createdAt?: string },
    ): Promise<SessionRecord>;
    getByHash(tokenHash: string): Promise<SessionRecord | undefined>;
    /** Every unexpired session at `now`, newest first. */
    list(now: string): Promise<SessionRecord[]>;
    remove(id: string): Promise<boolean>;
    /** Ends every session of an admin but `except` (a session ID); returns how many. */
    removeByAdmin(adminId: string, opts?: { except?: string }): Promise<number>;
    /** Removes sessions that expired before `now`; returns how many. */
    purge(now: string): Promise<number>;
  };

  /**
   * Failed authentications (console sign-ins, setup codes, API keys) under keys such as an
   * address or an account, shared by every process and node on the store, for throttling.
   */
  failures: {
    /** Records one failure at `at` under each key. */
    add(keys: string[], at: string): Promise<void>;
    /** Failures under `key` at or after `since`: how many, and the time of the oldest. */
    recent(key: string, since: string): Promise<{ count: number; oldest: string | null }>;
    /** Forgets the failures under `key`. */
    clear(key: string): Promise<void>;
    /** Forgets failures before `before`; returns how many. */
    purge(before: string): Promise<number>;
  };

  /** One-time codes that open the setup wizard to a non-loopback address (hashes only). */
  setupCodes: {
    add(hash: string, expiresAt: string): Promise<void>;
    /** True when `hash` is a code that has not expired at `now` nor been spent. */
    valid(hash: string, now: string): Promise<boolean>;
    /** True when some code is valid at `now`. */
    any(now: string): Promise<boolean>;
  };

  /** The audit log: who did what, when, from where. */
  audit: {
    add(entry: NewAuditEntry): Promise<AuditRecord>;
    /** Newest first. */
    list(filter?: AuditFilter): Promise<AuditRecord[]>;
    /** Removes entries before `cutoff`; returns how many. */
    purge(cutoff: string): Promise<number>;
  };

  /**
   * The `aft serve` nodes on this store, with heartbeats (see `jobs.renewLeases` and
   * `jobs.failExpired` for their jobs).
   */
  nodes: {
    /** Adds the node or starts it afresh (heartbeat now, not draining). */
    register(input: { id: string; address: string | null; version: string }): Promise<NodeRecord>;
    /** Records a heartbeat; false when the node is not registered (it was removed). */
    heartbeat(id: string): Promise<boolean>;
    /** Every node, by ID. */
    list(): Promise<NodeRecord[]>;
    get(id: string): Promise<NodeRecord | undefined>;
    /** Starts or ends draining; false when the node is not registered. */
    setDraining(id: string, draining: boolean): Promise<boolean>;
    remove(id: string): Promise<boolean>;
  };

  /**
   * What a RemoteWatcher last saw (a JSON text), by a key made of the script's name and the
   * watcher's VFS, folder and mode, so a restarted job does not report old files again.
   */
  watchState: {
    get(key: string): Promise<string | undefined>;
    set(key: string, state: string): Promise<void>;
  };
}

/** A web console administrator as stored. */
export interface AdminRecord {
  id: string;
  username: string;
  /** The scrypt hash string (algorithm, parameters, salt and hash), never the password. */
  passwordHash: string;
  /** Ciphertext (master key) of the TOTP secret, when two-factor sign-in is on. */
  totpSecretEnc: string | null;
  /** Ciphertext of a TOTP secret being enrolled, not yet confirmed with a code. */
  totpPendingEnc: string | null;
  /** The last TOTP time step accepted, so that a code is used once. */
  totpLastStep: number | null;
  createdAt: string;
  passwordChangedAt: string;
  lastSignInAt: string | null;
}

/** What a new admin is made of. */
export type NewAdmin = Pick<AdminRecord, "username" | "passwordHash">;

/** What an admin's update may change. */
export type AdminPatch = Partial<
  Pick<
    AdminRecord,
    "passwordHash" | "totpSecretEnc" | "totpPendingEnc" | "passwordChangedAt" | "lastSignInAt"
  >
>;

/** A console session (or a sign-in waiting for its TOTP code) as stored. */
export interface SessionRecord {
  id: string;
  adminId: string;
  /** Hex SHA-256 of the token the browser holds. */
  tokenHash: string;
  /** "active": signed in; "totp": the password was right, the code is awaited. */
  stage: "active" | "totp";
  /** The address it was made from. */
  ip: string;
  createdAt: string;
  expiresAt: string;
}

/** One entry of the audit log. */
export interface AuditRecord {
  /** Sortable by time, like job IDs. */
  id: string;
  at: string;
  /** `admin`, `apikey`, `cli`, `local`, `schedule`, `system`. */
  actorKind: string;
  /** The admin's user name, the key's name, the OS user, the schedule's name. */
  actorName: string;
  /** The caller's address, when it came over the network. */
  ip: string | null;
  /** `signin`, `script.create`, `settings.update`, `job.start`, ... */
  action: string;
  /** What it acted on (a name or an ID), when there is one. */
  target: string | null;
  /** What changed (never a secret value). */
  detail: Record<string, unknown> | null;
  outcome: "ok" | "failed";
}

/** What an audit entry is made of; `at` defaults to now. */
export type NewAuditEntry = Omit<AuditRecord, "id" | "at"> & { at?: string };

/** A query of the audit log. */
export interface AuditFilter {
  /** Actor name, case-insensitive. */
  actor?: string;
  /** An action (`script.create`), or a group of them (`script`). */
  action?: string;
  /** Entries at or after this time. */
  from?: string;
  /** Entries before this time. */
  to?: string;
  /** Entries older than this entry's ID (newest-first pagination). */
  before?: string;
  limit?: number;
}

/**
 * A store failure with a stable code: `ALREADY_EXISTS`, `NOT_FOUND`, `CORRUPT`, `INVALID`,
 * `FULL` (the disk or database is full, nothing written), `NEWER_SCHEMA` (the database was
 * upgraded by a newer aft), `UNAVAILABLE` (the database cannot be reached or refused the login).
 */
export class StoreError extends Error {
  override name = "StoreError";
  readonly code:
    | "ALREADY_EXISTS"
    | "NOT_FOUND"
    | "CORRUPT"
    | "INVALID"
    | "FULL"
    | "NEWER_SCHEMA"
    | "UNAVAILABLE";
  constructor(code: StoreError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
