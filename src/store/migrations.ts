/**
 * The SQLite schema, as numbered migrations applied in order inside a transaction. Never edit
 * a released migration: add a new one. PostgreSQL has the same migrations with the same numbers
 * in its own SQL (`postgres/migrations.ts`); a change to the schema adds one to each.
 *
 * @module
 */

export const MIGRATIONS: readonly string[] = [
  // 1: the spine
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE scripts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE vfs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    options_enc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE secrets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    value_enc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    script_id TEXT,
    script_name TEXT NOT NULL,
    file_path TEXT,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    error TEXT,
    trigger TEXT NOT NULL,
    node TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    bytes_transferred INTEGER NOT NULL DEFAULT 0,
    peak_rss_bytes INTEGER
  );
  CREATE INDEX jobs_status ON jobs (status, id);
  CREATE INDEX jobs_script ON jobs (script_name COLLATE NOCASE, id);
  CREATE TABLE job_logs (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    level TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  ) WITHOUT ROWID;
  `,
  // 2: the service: API keys, schedules, admin accounts
  `
  CREATE TABLE apikeys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    allow TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL,
    cron TEXT NOT NULL,
    params TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    next_run_at TEXT,
    last_run_at TEXT,
    last_job_id TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE admins (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  `,
  // 3: what a RemoteWatcher last saw, kept per script so a restarted job reports only news
  `
  CREATE TABLE watch_state (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // 4: the process that runs a job, so a start-up fails only jobs whose process is gone
  `
  ALTER TABLE jobs ADD COLUMN owner TEXT;
  `,
  // 5: the address an API key was last used from
  `
  ALTER TABLE apikeys ADD COLUMN last_caller_ip TEXT;
  `,
  // 6: several nodes: job leases and halt requests, a unique key per schedule slot, the node
  // table
  `
  ALTER TABLE jobs ADD COLUMN lease_until TEXT;
  ALTER TABLE jobs ADD COLUMN slot_key TEXT;
  ALTER TABLE jobs ADD COLUMN halt_requested INTEGER NOT NULL DEFAULT 0;
  CREATE UNIQUE INDEX jobs_slot ON jobs (slot_key);
  CREATE INDEX jobs_running ON jobs (node) WHERE status = 'running';
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    address TEXT,
    version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    draining INTEGER NOT NULL DEFAULT 0
  );
  `,
  // 7: the console's accounts (nothing made admins before: the table is made anew with its
  // case-insensitive name key and two-factor columns), sessions, failed sign-ins, setup codes
  // and the audit log
  `
  DROP TABLE admins;
  CREATE TABLE admins (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    totp_secret_enc TEXT,
    totp_pending_enc TEXT,
    totp_last_step INTEGER,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    last_sign_in_at TEXT
  );
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    admin_id TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    stage TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX sessions_admin ON sessions (admin_id);
  CREATE INDEX sessions_expires ON sessions (expires_at);
  CREATE TABLE auth_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX auth_failures_key ON auth_failures (key, at);
  CREATE INDEX auth_failures_at ON auth_failures (at);
  CREATE TABLE setup_codes (
    hash TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    outcome TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_actor ON audit (actor_name COLLATE NOCASE, id);
  CREATE INDEX audit_action ON audit (action, id);
  `,
];
