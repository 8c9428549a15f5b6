/**
 * The PostgreSQL store's job queue and node table. A claim is one statement that locks the
 * oldest queued row with `FOR UPDATE SKIP LOCKED`, so claimants on any number of nodes never
 * wait for each other nor take the same job; times that decide leases and heartbeats are the
 * database's (`now()`), so the nodes' clocks do not matter.
 *
 * @module
 */

import type postgres from "postgres";
import { newId } from "../ids.ts";
import {
  JOB_COLUMNS,
  logText,
  newJobRecord,
  type Row,
  toJob,
  toLogLine,
  toNode,
  zeroCounts,
} from "../rows.ts";
import {
  type ClaimRequest,
  type JobFilter,
  type JobRecord,
  type JobStatus,
  type NewAuditEntry,
  type NewJob,
  type Store,
  StoreError,
} from "../types.ts";
import { auditRecord, auditValues } from "./audit.ts";
import { pgChannel } from "./signals.ts";

/** A connection pool or a transaction. */
export type Q = postgres.Sql | postgres.TransactionSql;

/** Default lease of a claimed job, in seconds. */
const DEFAULT_LEASE_SECONDS = 30;
/** Rows per INSERT of log lines (five parameters each, well under the protocol's 65,535). */
const LOG_BATCH = 1000;

const QUEUED = pgChannel("job_queued");
const HALT = pgChannel("job_halt");

/**
 * Inserts a job, queued (signalled on commit) or, with `input.running`, already running without
 * a lease, with a schedule's slot key; undefined when the slot key is taken.
 */
export async function insertJob(
  q: Q,
  input: NewJob,
  slot: string | null = null,
  audit?: (job: JobRecord) => NewAuditEntry,
): Promise<JobRecord | undefined> {
  const job = newJobRecord(newId(), input);
  const insert = q`
      INSERT INTO jobs (id, script_id, script_name, file_path, params, status, trigger, node,
        owner, created_at, started_at, slot_key)
      VALUES (${job.id}, ${job.scriptId}, ${job.scriptName}, ${job.filePath}, ${q.json(job.params)},
        ${job.status}, ${job.trigger}, ${job.node}, ${job.owner}, ${job.createdAt},
        ${job.startedAt}, ${slot})
      ON CONFLICT (slot_key) DO NOTHING
      RETURNING id`;
  // The audit entry is a second data-modifying part of the same statement (one round trip,
  // one transaction), written only when the job was.
  const entry = audit ? auditRecord(audit(job)) : undefined;
  const rows = entry
    ? await q`WITH j AS (${insert}),
        a AS (INSERT INTO audit (id, at, actor_kind, actor_name, ip, action, target, detail,
          outcome) SELECT ${auditValues(q, entry)} FROM j)
        SELECT id${job.status === "queued" ? q`, pg_notify(${QUEUED}, id)` : q``} FROM j`
    : job.status === "queued"
    ? await q`WITH j AS (${insert}) SELECT id, pg_notify(${QUEUED}, id) FROM j`
    : await insert;
  return rows.length === 1 ? job : undefined;
}

/**
 * Applies `patch` to job `id` (a job that is no longer running holds no lease), returning its
 * row: no row when there is no such job.
 */
function patchJob(
  sql: postgres.Sql,
  id: string,
  patch: Partial<Omit<JobRecord, "id" | "createdAt">>,
): postgres.PendingQuery<postgres.Row[]> {
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    const col = JOB_COLUMNS[k];
    if (!col) continue;
    set[col] = k === "params" ? sql.json(v as Record<string, string>) : v ?? null;
  }
  if (patch.status !== undefined && patch.status !== "running") set.lease_until = null;
  const cols = Object.keys(set);
  return cols.length > 0
    ? sql`UPDATE jobs SET ${
      sql(set as Record<string, postgres.ParameterOrJSON<never>>, cols)
    } WHERE id = ${id} RETURNING *`
    : sql`SELECT * FROM jobs WHERE id = ${id}`;
}

/**
 * Takes the oldest queued job for `req.node` with a lease; with `afterEnd`, only when the
 * statement's WITH part `e` (the job that ended) returned a row.
 */
function claimNext(sql: postgres.Sql, req: ClaimRequest, afterEnd = false) {
  const lease = req.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  return sql`
    UPDATE jobs SET status = 'running', node = ${req.node}, owner = ${req.owner ?? null},
      started_at = now(), lease_until = now() + make_interval(secs => ${lease})
    WHERE id = (
      SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
    ) ${afterEnd ? sql`AND EXISTS (SELECT 1 FROM e)` : sql``}
    RETURNING *`;
}

/** Fails those of `jobs` still running (and logs why); returns the IDs it changed. */
async function failJobs(q: Q, jobs: { id: string; reason: string }[]): Promise<string[]> {
  const changed: string[] = [];
  for (const { id, reason } of jobs) {
    const done = await q`UPDATE jobs SET status = 'failed', exit_code = 1, error = ${reason},
      finished_at = now(), lease_until = NULL WHERE id = ${id} AND status = 'running'`;
    if (done.count === 0) continue;
    await q`INSERT INTO job_logs (job_id, seq, ts, level, text)
      SELECT ${id}, coalesce(max(seq), 0) + 1, now(), 'error', ${reason}
      FROM job_logs WHERE job_id = ${id}`;
    changed.push(id);
  }
  return changed;
}

/** The jobs repository over the pool `sql`. */
export function pgJobs(sql: postgres.Sql): Store["jobs"] {
  const get = async (id: string) => {
    const [r] = await sql`SELECT * FROM jobs WHERE id = ${id}`;
    return r && toJob(r);
  };
  return {
    create: async (input, audit) => (await insertJob(sql, input, null, audit))!,
    get,
    list: async (filter: JobFilter = {}) => {
      const limit = Math.max(1, Math.min(filter.limit ?? 50, 1000));
      const rows = await sql`SELECT * FROM jobs WHERE true
        ${filter.status ? sql`AND status = ${filter.status}` : sql``}
        ${filter.script ? sql`AND lower(script_name) = lower(${filter.script})` : sql``}
        ${filter.trigger ? sql`AND trigger = ${filter.trigger}` : sql``}
        ${filter.createdFrom ? sql`AND created_at >= ${filter.createdFrom}` : sql``}
        ${filter.createdTo ? sql`AND created_at < ${filter.createdTo}` : sql``}
        ${filter.before ? sql`AND id < ${filter.before}` : sql``}
        ORDER BY id DESC LIMIT ${limit}`;
      return rows.map(toJob);
    },
    update: async (id, patch) => {
      const [r] = await patchJob(sql, id, patch);
      if (!r) throw new StoreError("NOT_FOUND", `No job with ID "${id}"`);
      return toJob(r);
    },
    failOrphans: (ids, reason) =>
      sql.begin(async (tx) => await failJobs(tx, ids.map((id) => ({ id, reason })))),
    appendLogs: async (lines) => {
      // The last line wins when one (job, seq) comes twice, as SQLite's INSERT OR REPLACE does.
      const byKey = new Map(lines.map((l) => [`${l.jobId}\u0000${l.seq}`, l]));
      const rows = [...byKey.values()].map((l) => ({
        job_id: l.jobId,
        seq: l.seq,
        ts: l.ts,
        level: l.level,
        text: logText(l.text),
      }));
      for (let i = 0; i < rows.length; i += LOG_BATCH) {
        await sql`INSERT INTO job_logs ${sql(rows.slice(i, i + LOG_BATCH))}
          ON CONFLICT (job_id, seq) DO UPDATE
          SET ts = excluded.ts, level = excluded.level, text = excluded.text`;
      }
    },
    lastLogSeq: async (jobId) =>
      Number(
        (await sql`SELECT coalesce(max(seq), 0) AS s FROM job_logs WHERE job_id = ${jobId}`)[0]
          ?.s ?? 0,
      ),
    logs: async (jobId, afterSeq = 0, limit?: number) =>
      (await sql`SELECT * FROM job_logs WHERE job_id = ${jobId} AND seq > ${afterSeq}
        ORDER BY seq ${limit !== undefined && limit >= 0 ? sql`LIMIT ${limit}` : sql``}`)
        .map(toLogLine),
    purge: async (cutoff) =>
      (await sql`DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'halted')
        AND finished_at < ${cutoff}`).count,
    claim: async (node, opts = {}) => {
      const [r] = await claimNext(sql, { node, ...opts });
      return r && toJob(r);
    },
    finishAndClaim: async (id, patch, next) => {
      // One statement, so one round trip and one transaction: the end is recorded, and the
      // oldest queued job claimed only when there was a job to end. Both parts see the same
      // snapshot, in which job `id` is not queued, so the claim cannot take it.
      const rows = await sql`WITH e AS (${patchJob(sql, id, patch)}),
        n AS (${claimNext(sql, next, true)})
        SELECT true AS ended, * FROM e UNION ALL SELECT false, * FROM n`;
      const job = rows.find((r: Row) => r.ended === true);
      if (!job) throw new StoreError("NOT_FOUND", `No job with ID "${id}"`);
      const claimed = rows.find((r: Row) => r.ended === false);
      return { job: toJob(job), next: claimed && toJob(claimed) };
    },
    renewLeases: async (node, leaseSeconds) =>
      (await sql`UPDATE jobs SET lease_until = now() + make_interval(secs => ${leaseSeconds})
        WHERE status = 'running' AND node = ${node} AND lease_until IS NOT NULL
        RETURNING id, halt_requested`)
        .map((r: Row) => ({ id: String(r.id), haltRequested: r.halt_requested === true }))
        .sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    requestHalt: async (id) => {
      const rows = await sql`
        WITH j AS (
          UPDATE jobs SET halt_requested = true WHERE id = ${id} AND status = 'running' RETURNING id
        )
        SELECT id, pg_notify(${HALT}, id) FROM j`;
      return rows.length > 0;
    },
    failExpired: (reason) =>
      sql.begin(async (tx) => {
        // Locked rows are being failed (or renewed) by someone else right now: skip them.
        const rows = (await tx`SELECT id, node FROM jobs
          WHERE status = 'running' AND lease_until <= now()
          ORDER BY id FOR UPDATE SKIP LOCKED`)
          .map((r: Row) => ({ id: String(r.id), node: String(r.node ?? "") }));
        await failJobs(tx, rows.map((r) => ({ id: r.id, reason: reason(r.node) })));
        return rows;
      }),
    countByStatus: async () => {
      const out: Record<JobStatus, number> = zeroCounts();
      for (const r of await sql`SELECT status, count(*) AS n FROM jobs GROUP BY status`) {
        out[r.status as JobStatus] = Number(r.n);
      }
      return out;
    },
    totals: async () => {
      const [r] = await sql`SELECT coalesce(sum(bytes_transferred), 0) AS b FROM jobs`;
      return { bytes: Number(r?.b ?? 0) };
    },
    hourly: async (since) =>
      (await sql`SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour,
          status, count(*) AS n, coalesce(sum(bytes_transferred), 0) AS b
        FROM jobs WHERE finished_at IS NOT NULL AND finished_at >= ${since}
        GROUP BY hour, status ORDER BY hour, status`)
        .map((r: Row) => ({
          hour: String(r.hour),
          status: r.status as JobStatus,
          count: Number(r.n),
          bytes: Number(r.b),
        })),
  };
}

/** The node table over the pool `sql`. */
export function pgNodes(sql: postgres.Sql): Store["nodes"] {
  const select = (where: postgres.PendingQuery<postgres.Row[]>) =>
    sql`SELECT n.*, extract(epoch FROM now() - n.heartbeat_at) AS heartbeat_age,
      (SELECT count(*) FROM jobs j WHERE j.status = 'running' AND j.node = n.id) AS running
      FROM nodes n ${where} ORDER BY n.id`;
  const get = async (id: string) => {
    const [r] = await select(sql`WHERE n.id = ${id}`);
    return r && toNode(r);
  };
  return {
    register: async ({ id, address, version }) => {
      await sql`INSERT INTO nodes (id, address, version, started_at, heartbeat_at, draining)
        VALUES (${id}, ${address}, ${version}, now(), now(), false)
        ON CONFLICT (id) DO UPDATE SET address = excluded.address, version = excluded.version,
          started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, draining = false`;
      return (await get(id))!;
    },
    heartbeat: async (id) =>
      (await sql`UPDATE nodes SET heartbeat_at = now() WHERE id = ${id}`).count > 0,
    list: async () => (await select(sql``)).map(toNode),
    get,
    setDraining: async (id, draining) =>
      (await sql`UPDATE nodes SET draining = ${draining} WHERE id = ${id}`).count > 0,
    remove: async (id) => (await sql`DELETE FROM nodes WHERE id = ${id}`).count > 0,
  };
}
