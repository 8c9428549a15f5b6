/**
 * The SQLite store's job queue and node table: jobs with leases, claims in a write transaction,
 * the unique schedule-slot key, and node heartbeats. Times are ISO text in UTC, which sorts as
 * time does.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import { newId } from "./ids.ts";
import type { LocalSignals } from "./local_signals.ts";
import {
  JOB_COLUMNS,
  logText,
  newJobRecord,
  now,
  toJob,
  toLogLine,
  toNode,
  zeroCounts,
} from "./rows.ts";
import { insertAudit } from "./sqlite_audit.ts";
import { JobCommits } from "./sqlite_group_commit.ts";
import { settled } from "./sqlite_file.ts";
import type { SqliteQueries } from "./sqlite_query.ts";
import {
  type JobFilter,
  type JobRecord,
  type JobStatus,
  type NewJob,
  type Store,
  StoreError,
} from "./types.ts";

/** Default lease of a claimed job, in seconds. */
export const DEFAULT_LEASE_SECONDS = 30;

const later = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/**
 * Inserts a job, queued or (with `input.running`) already running without a lease, with a
 * schedule's slot key; undefined when the slot key is taken.
 */
export function insertJob(
  q: SqliteQueries,
  input: NewJob,
  slot: string | null = null,
): JobRecord | undefined {
  const job = newJobRecord(newId(), input);
  const n = q.run(
    `INSERT INTO jobs (id, script_id, script_name, file_path, params, status, trigger, node, owner,
       created_at, started_at, slot_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slot_key) DO NOTHING`,
    job.id,
    job.scriptId,
    job.scriptName,
    job.filePath,
    JSON.stringify(job.params),
    job.status,
    job.trigger,
    job.node,
    job.owner,
    job.createdAt,
    job.startedAt,
    slot,
  );
  return n === 1 ? job : undefined;
}

/** The `seq` of job `id`'s last log line; 0 when it has none. */
function lastSeq(q: SqliteQueries, id: string): number {
  return Number(
    q.get("SELECT coalesce(max(seq), 0) AS s FROM job_logs WHERE job_id = ?", id)?.s ?? 0,
  );
}

function appendErrorLine(q: SqliteQueries, id: string, ts: string, text: string): void {
  const seq = lastSeq(q, id);
  q.run(
    "INSERT INTO job_logs (job_id, seq, ts, level, text) VALUES (?, ?, ?, 'error', ?)",
    id,
    seq + 1,
    ts,
    text,
  );
}

/** Fails those of `ids` still running (and logs why); returns the IDs it changed. */
function failJobs(q: SqliteQueries, ids: string[], reason: (id: string) => string): string[] {
  const t = now();
  const changed: string[] = [];
  for (const id of ids) {
    const why = reason(id);
    const n = q.run(
      "UPDATE jobs SET status = 'failed', exit_code = 1, error = ?, finished_at = ?, lease_until = NULL WHERE id = ? AND status = 'running'",
      why,
      t,
      id,
    );
    if (n === 0) continue;
    appendErrorLine(q, id, t, why);
    changed.push(id);
  }
  return changed;
}

/** New jobs of `q`, committed in groups (see `sqlite_group_commit.ts`), signalled on `signals`. */
export function jobCommits(q: SqliteQueries, signals: LocalSignals): JobCommits {
  return new JobCommits(
    (input, audit) => {
      const job = insertJob(q, input)!;
      if (audit) insertAudit(q, audit(job));
      return job;
    },
    (fn) => q.tx(fn),
    (job) => {
      if (job.status === "queued") signals.send("job_queued", job.id);
    },
  );
}

/** The jobs repository over `q`, signalling on `signals`; new jobs are written by `commits`. */
export function sqliteJobs(
  q: SqliteQueries,
  signals: LocalSignals,
  commits: JobCommits,
): Store["jobs"] {
  /** Applies `patch` to job `id`; the job as it is now. */
  const updateRow = (id: string, patch: Partial<Omit<JobRecord, "id" | "createdAt">>) => {
    const sets: string[] = [];
    const params: SQLInputValue[] = [];
    for (const [k, v] of Object.entries(patch)) {
      const col = JOB_COLUMNS[k];
      if (!col) continue;
      sets.push(`${col} = ?`);
      params.push(k === "params" ? JSON.stringify(v) : (v as SQLInputValue) ?? null);
    }
    // A job that is no longer running holds no lease.
    if (patch.status !== undefined && patch.status !== "running") sets.push("lease_until = NULL");
    if (sets.length > 0) {
      q.run(`UPDATE jobs SET ${sets.join(", ")} WHERE id = ?`, ...params, id);
    }
    const r = q.get("SELECT * FROM jobs WHERE id = ?", id);
    if (!r) throw new StoreError("NOT_FOUND", `No job with ID "${id}"`);
    return toJob(r);
  };
  /** Takes the oldest queued job for `node`, inside the caller's transaction. */
  const claimRow = (node: string, opts: { owner?: string; leaseSeconds?: number }) => {
    const r = q.get("SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1");
    if (!r) return undefined;
    q.run(
      "UPDATE jobs SET status = 'running', node = ?, owner = ?, started_at = ?, lease_until = ? WHERE id = ? AND status = 'queued'",
      node,
      opts.owner ?? null,
      now(),
      later(opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS),
      String(r.id),
    );
    return toJob(q.get("SELECT * FROM jobs WHERE id = ?", String(r.id))!);
  };
  return settled<Store["jobs"]>({
    create: (input, audit) => commits.add(input, audit),
    get: (id) => {
      const r = q.get("SELECT * FROM jobs WHERE id = ?", id);
      return Promise.resolve(r && toJob(r));
    },
    list: (filter: JobFilter = {}) => {
      const where: string[] = [];
      const params: SQLInputValue[] = [];
      if (filter.status) {
        where.push("status = ?");
        params.push(filter.status);
      }
      if (filter.script) {
        where.push("script_name = ? COLLATE NOCASE");
        params.push(filter.script);
      }
      if (filter.trigger) {
        where.push("trigger = ?");
        params.push(filter.trigger);
      }
      if (filter.createdFrom) {
        where.push("created_at >= ?");
        params.push(filter.createdFrom);
      }
      if (filter.createdTo) {
        where.push("created_at < ?");
        params.push(filter.createdTo);
      }
      if (filter.before) {
        where.push("id < ?");
        params.push(filter.before);
      }
      const limit = Math.max(1, Math.min(filter.limit ?? 50, 1000));
      const sql = `SELECT * FROM jobs ${
        where.length ? "WHERE " + where.join(" AND ") : ""
      } ORDER BY id DESC LIMIT ${limit}`;
      return Promise.resolve(q.all(sql, ...params).map(toJob));
    },
    update: (id, patch) => Promise.resolve(updateRow(id, patch)),
    failOrphans: (ids, reason) => Promise.resolve(q.tx(() => failJobs(q, ids, () => reason))),
    appendLogs: (lines) => {
      if (lines.length === 0) return Promise.resolve();
      q.tx(() => {
        const stmt = q.db.prepare(
          "INSERT OR REPLACE INTO job_logs (job_id, seq, ts, level, text) VALUES (?, ?, ?, ?, ?)",
        );
        for (const l of lines) stmt.run(l.jobId, l.seq, l.ts, l.level, logText(l.text));
      });
      return Promise.resolve();
    },
    lastLogSeq: (jobId) => Promise.resolve(lastSeq(q, jobId)),
    logs: (jobId, afterSeq = 0, limit = -1) =>
      Promise.resolve(
        q.all(
          "SELECT * FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          jobId,
          afterSeq,
          limit,
        ).map(toLogLine),
      ),
    purge: (cutoff) =>
      Promise.resolve(
        q.run(
          "DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'halted') AND finished_at < ?",
          cutoff,
        ),
      ),
    claim: (node, opts = {}) => Promise.resolve(q.tx(() => claimRow(node, opts))),
    finishAndClaim: (id, patch, next) =>
      Promise.resolve(q.tx(() => ({ job: updateRow(id, patch), next: claimRow(next.node, next) }))),
    renewLeases: (node, leaseSeconds) =>
      Promise.resolve(q.tx(() => {
        q.run(
          "UPDATE jobs SET lease_until = ? WHERE status = 'running' AND node = ? AND lease_until IS NOT NULL",
          later(leaseSeconds),
          node,
        );
        return q.all(
          "SELECT id, halt_requested FROM jobs WHERE status = 'running' AND node = ? AND lease_until IS NOT NULL ORDER BY id",
          node,
        ).map((r) => ({ id: String(r.id), haltRequested: Number(r.halt_requested) === 1 }));
      })),
    requestHalt: (id) => {
      const n = q.run(
        "UPDATE jobs SET halt_requested = 1 WHERE id = ? AND status = 'running'",
        id,
      );
      if (n > 0) signals.send("job_halt", id);
      return Promise.resolve(n > 0);
    },
    failExpired: (reason) =>
      Promise.resolve(q.tx(() => {
        const rows = q.all(
          "SELECT id, node FROM jobs WHERE status = 'running' AND lease_until IS NOT NULL AND lease_until <= ? ORDER BY id",
          now(),
        ).map((r) => ({ id: String(r.id), node: String(r.node ?? "") }));
        const nodeOf = new Map(rows.map((r) => [r.id, r.node]));
        failJobs(q, rows.map((r) => r.id), (id) => reason(nodeOf.get(id)!));
        return rows;
      })),
    countByStatus: () => {
      const out: Record<JobStatus, number> = zeroCounts();
      for (const r of q.all("SELECT status, count(*) AS n FROM jobs GROUP BY status")) {
        out[r.status as JobStatus] = Number(r.n);
      }
      return Promise.resolve(out);
    },
    totals: () =>
      Promise.resolve({
        bytes: Number(q.get("SELECT coalesce(sum(bytes_transferred), 0) AS b FROM jobs")?.b ?? 0),
      }),
    hourly: (since) =>
      Promise.resolve(
        q.all(
          "SELECT substr(finished_at, 1, 13) AS hour, status, count(*) AS n, coalesce(sum(bytes_transferred), 0) AS b FROM jobs WHERE finished_at IS NOT NULL AND finished_at >= ? GROUP BY hour, status ORDER BY hour",
          since,
        ).map((r) => ({
          hour: String(r.hour),
          status: r.status as JobStatus,
          count: Number(r.n),
          bytes: Number(r.b),
        })),
      ),
  });
}

const NODE_SELECT =
  `SELECT n.*, (julianday('now') - julianday(n.heartbeat_at)) * 86400.0 AS heartbeat_age,
  (SELECT count(*) FROM jobs j WHERE j.status = 'running' AND j.node = n.id) AS running
  FROM nodes n`;

/** The node table over `q`. */
export function sqliteNodes(q: SqliteQueries): Store["nodes"] {
  const get = (id: string) => {
    const r = q.get(`${NODE_SELECT} WHERE n.id = ?`, id);
    return r && toNode(r);
  };
  return settled<Store["nodes"]>({
    register: ({ id, address, version }) => {
      const t = now();
      q.run(
        `INSERT INTO nodes (id, address, version, started_at, heartbeat_at, draining) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, version = excluded.version,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, draining = 0`,
        id,
        address,
        version,
        t,
        t,
      );
      return Promise.resolve(get(id)!);
    },
    heartbeat: (id) =>
      Promise.resolve(q.run("UPDATE nodes SET heartbeat_at = ? WHERE id = ?", now(), id) > 0),
    list: () => Promise.resolve(q.all(`${NODE_SELECT} ORDER BY n.id`).map(toNode)),
    get: (id) => Promise.resolve(get(id)),
    setDraining: (id, draining) =>
      Promise.resolve(
        q.run("UPDATE nodes SET draining = ? WHERE id = ?", draining ? 1 : 0, id) > 0,
      ),
    remove: (id) => Promise.resolve(q.run("DELETE FROM nodes WHERE id = ?", id) > 0),
  });
}
