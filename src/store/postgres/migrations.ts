/**
 * The PostgreSQL schema: the same numbered migrations as SQLite's (`../migrations.ts`), in
 * PostgreSQL's own SQL (timestamptz, jsonb, bigint, boolean). Never edit a released migration:
 * add a new one here and in SQLite's list with the same number. Keys, IDs and the names
 * that lists sort by compare bytewise (`COLLATE "C"`, as SQLite does), whatever the database's
 * locale: job IDs must sort by time, and lists must not reorder with the server's language.
 *
 * `migratePostgres` runs them in one transaction under a transaction-scoped advisory lock
 * (`pg_advisory_xact_lock`), so when several nodes start at once the first migrates and the
 * others wait, then find nothing to do; a node killed mid-migration leaves neither the lock (it
 * goes with its connection) nor half a schema (the transaction rolls back).
 *
 * @module
 */

import type postgres from "postgres";
import { newerSchema } from "../rows.ts";

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the spine
  `
  CREATE TABLE settings (
    key text COLLATE "C" PRIMARY KEY,
    value jsonb NOT NULL
  );
  CREATE TABLE scripts (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    source text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE TABLE vfs (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    type text NOT NULL,
    target text NOT NULL,
    options_enc text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE TABLE secrets (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    value_enc text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE TABLE jobs (
    id text COLLATE "C" PRIMARY KEY,
    script_id text COLLATE "C",
    script_name text COLLATE "C" NOT NULL,
    file_path text,
    params jsonb NOT NULL,
    status text NOT NULL,
    exit_code integer,
    error text,
    trigger text NOT NULL,
    node text COLLATE "C",
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    bytes_transferred bigint NOT NULL DEFAULT 0,
    peak_rss_bytes bigint
  );
  CREATE INDEX jobs_status ON jobs (status, id);
  CREATE INDEX jobs_script ON jobs (lower(script_name), id);
  CREATE TABLE job_logs (
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    ts timestamptz NOT NULL,
    level text NOT NULL,
    text text NOT NULL,
    PRIMARY KEY (job_id, seq)
  );
  `,
  // 2: the service: API keys, schedules, admin accounts
  `
  CREATE TABLE apikeys (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    prefix text NOT NULL,
    hash text NOT NULL UNIQUE,
    allow jsonb NOT NULL,
    scopes jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz
  );
  CREATE TABLE schedules (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    script text NOT NULL,
    cron text NOT NULL,
    params jsonb NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    next_run_at timestamptz,
    last_run_at timestamptz,
    last_job_id text COLLATE "C",
    created_at timestamptz NOT NULL
  );
  CREATE TABLE admins (
    id text COLLATE "C" PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  `,
  // 3: what a RemoteWatcher last saw, kept per script so a restarted job reports only news
  `
  CREATE TABLE watch_state (
    key text COLLATE "C" PRIMARY KEY,
    state text NOT NULL,
    updated_at timestamptz NOT NULL
  );
  `,
  // 4: the process that runs a job, so a start-up fails only jobs whose process is gone
  `
  ALTER TABLE jobs ADD COLUMN owner text;
  `,
  // 5: the address an API key was last used from
  `
  ALTER TABLE apikeys ADD COLUMN last_caller_ip text;
  `,
  // 6: several nodes: job leases and halt requests, a unique key per schedule slot, the node
  // table; the queue's claim reads the oldest queued job through a partial index
  `
  ALTER TABLE jobs ADD COLUMN lease_until timestamptz;
  ALTER TABLE jobs ADD COLUMN slot_key text COLLATE "C";
  ALTER TABLE jobs ADD COLUMN halt_requested boolean NOT NULL DEFAULT false;
  CREATE UNIQUE INDEX jobs_slot ON jobs (slot_key);
  CREATE INDEX jobs_running ON jobs (node) WHERE status = 'running';
  CREATE INDEX jobs_queued ON jobs (id) WHERE status = 'queued';
  CREATE TABLE nodes (
    id text COLLATE "C" PRIMARY KEY,
    address text,
    version text NOT NULL,
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    draining boolean NOT NULL DEFAULT false
  );
  `,
  // 7: the console's accounts (nothing made admins before: the table is made anew with its
  // case-insensitive name key and two-factor columns), sessions, failed sign-ins, setup codes
  // and the audit log
  `
  DROP TABLE admins;
  CREATE TABLE admins (
    id text COLLATE "C" PRIMARY KEY,
    username text NOT NULL,
    name_key text COLLATE "C" NOT NULL UNIQUE,
    password_hash text NOT NULL,
    totp_secret_enc text,
    totp_pending_enc text,
    totp_last_step bigint,
    created_at timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL,
    last_sign_in_at timestamptz
  );
  CREATE TABLE sessions (
    id text COLLATE "C" PRIMARY KEY,
    admin_id text COLLATE "C" NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    stage text NOT NULL,
    ip text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX sessions_admin ON sessions (admin_id);
  CREATE INDEX sessions_expires ON sessions (expires_at);
  CREATE TABLE auth_failures (
    key text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL
  );
  CREATE INDEX auth_failures_key ON auth_failures (key, at);
  CREATE INDEX auth_failures_at ON auth_failures (at);
  CREATE TABLE setup_codes (
    hash text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL
  );
  CREATE TABLE audit (
    id text COLLATE "C" PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_kind text NOT NULL,
    actor_name text NOT NULL,
    ip text,
    action text COLLATE "C" NOT NULL,
    target text,
    detail jsonb,
    outcome text NOT NULL
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_actor ON audit (lower(actor_name), id);
  CREATE INDEX audit_action ON audit (action, id);
  `,
];

/** The advisory lock that serialises migrations (any fixed 64-bit number, "aft" in ASCII). */
const MIGRATION_LOCK = 0x616674;

/** Applies the missing migrations; NEWER_SCHEMA (touching nothing) for a newer database. */
export async function migratePostgres(sql: postgres.Sql, location: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`;
    const [row] = await tx`SELECT coalesce(max(version), 0) AS v FROM schema_version`;
    const current = Number(row?.v ?? 0);
    if (current > PG_MIGRATIONS.length) {
      throw newerSchema(location, current, PG_MIGRATIONS.length);
    }
    for (let v = current; v < PG_MIGRATIONS.length; v++) {
      await tx.unsafe(PG_MIGRATIONS[v]!).simple();
      await tx`INSERT INTO schema_version (version) VALUES (${v + 1})`;
    }
  });
}
