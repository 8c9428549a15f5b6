/**
 * The embedded store: SQLite through `node:sqlite`, in WAL mode so the service and `aft run`
 * can share one database file.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { newId } from "./ids.ts";
import {
  mapped,
  migrateDatabase,
  openDatabase,
  settled,
  type SqliteOptions,
} from "./sqlite_file.ts";
import { backupBeforeMigration, integrityProblems, vacuumInto } from "./sqlite_backup.ts";
import { sqliteAudit } from "./sqlite_audit.ts";
import { sqliteAdmins, sqliteFailures, sqliteSessions, sqliteSetupCodes } from "./sqlite_auth.ts";
import type { SqliteQueries } from "./sqlite_query.ts";
import {
  checkName,
  isUnique,
  JOB_COLUMNS,
  now,
  type Row,
  SCHEDULE_COLUMNS,
  setClause,
  toApiKey,
  toJob,
  toSchedule,
  toScript,
  toSecret,
  toVfs,
} from "./sqlite_rows.ts";
import {
  type ApiKeyRecord,
  type JobFilter,
  type JobRecord,
  type JobStatus,
  type LogLine,
  type NewJob,
  type ScheduleRecord,
  type Store,
  StoreError,
} from "./types.ts";

export type { SqliteOptions };

/** Opens (and creates) the database at `path`; call `migrate()` before use. */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  #db: DatabaseSync;
  readonly #path: string;

  constructor(path: string, opts: SqliteOptions = {}) {
    this.#db = openDatabase(path, opts);
    this.#path = path;
  }

  /** The database file. */
  get location(): string {
    return this.#path;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#db.prepare(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#db.prepare(sql).get(...params) as Row | undefined;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#db.prepare(sql).run(...params).changes);
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (err) {
      // SQLite has already rolled back after some errors (SQLITE_FULL among them): a ROLLBACK
      // then fails with "no transaction is active" and would hide the error that matters.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  migrate(): Promise<void> {
    migrateDatabase(this.#db, (fn) => this.#tx(fn), (before) => {
      // The database about to change is kept as it was, should the new version misbehave.
      if (this.#path !== ":memory:") backupBeforeMigration(this.#db, this.#path, before);
    });
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  snapshot(dest: string): Promise<void> {
    try {
      vacuumInto(this.#db, dest);
    } catch (err) {
      return Promise.reject(mapped(err));
    }
    return Promise.resolve();
  }

  integrityCheck(): Promise<string[]> {
    try {
      return Promise.resolve(integrityProblems(this.#db));
    } catch (err) {
      return Promise.reject(mapped(err));
    }
  }

  schemaVersion(): Promise<number> {
    const row = this.#get("SELECT max(version) AS v FROM schema_version");
    return Promise.resolve(Number(row?.v ?? 0));
  }

  settings: Store["settings"] = settled({
    all: () => {
      const out: Record<string, unknown> = {};
      for (const r of this.#all("SELECT key, value FROM settings")) {
        out[r.key as string] = JSON.parse(r.value as string);
      }
      return Promise.resolve(out);
    },
    set: (key, value) => {
      this.#run(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        JSON.stringify(value),
      );
      return Promise.resolve();
    },
    remove: (key) => {
      this.#run("DELETE FROM settings WHERE key = ?", key);
      return Promise.resolve();
    },
  });

  scripts: Store["scripts"] = settled({
    list: () => Promise.resolve(this.#all("SELECT * FROM scripts ORDER BY name_key").map(toScript)),
    get: (id) => {
      const r = this.#get("SELECT * FROM scripts WHERE id = ?", id);
      return Promise.resolve(r && toScript(r));
    },
    getByName: (name) => {
      const r = this.#get("SELECT * FROM scripts WHERE name_key = ?", name.trim().toLowerCase());
      return Promise.resolve(r && toScript(r));
    },
    create: ({ name, source }) => {
      const n = checkName(name);
      const id = newId();
      const t = now();
      try {
        this.#run(
          "INSERT INTO scripts (id, name, name_key, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          id,
          n,
          n.toLowerCase(),
          source,
          t,
          t,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `A script named "${n}" already exists`);
        }
        throw err;
      }
      return Promise.resolve({ id, name: n, source, createdAt: t, updatedAt: t });
    },
    update: (id, patch) => {
      const cur = this.#get("SELECT * FROM scripts WHERE id = ?", id);
      if (!cur) throw new StoreError("NOT_FOUND", `No script with ID "${id}"`);
      const name = patch.name === undefined ? cur.name as string : checkName(patch.name);
      const source = patch.source ?? cur.source as string;
      try {
        this.#run(
          "UPDATE scripts SET name = ?, name_key = ?, source = ?, updated_at = ? WHERE id = ?",
          name,
          name.toLowerCase(),
          source,
          now(),
          id,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `A script named "${name}" already exists`);
        }
        throw err;
      }
      return Promise.resolve(toScript(this.#get("SELECT * FROM scripts WHERE id = ?", id)!));
    },
    remove: (id) => Promise.resolve(this.#run("DELETE FROM scripts WHERE id = ?", id) > 0),
  });

  vfs: Store["vfs"] = settled({
    list: () => Promise.resolve(this.#all("SELECT * FROM vfs ORDER BY name_key").map(toVfs)),
    get: (id) => {
      const r = this.#get("SELECT * FROM vfs WHERE id = ?", id);
      return Promise.resolve(r && toVfs(r));
    },
    getByName: (name) => {
      const r = this.#get("SELECT * FROM vfs WHERE name_key = ?", name.trim().toLowerCase());
      return Promise.resolve(r && toVfs(r));
    },
    create: (input) => {
      const n = checkName(input.name);
      const id = newId();
      const t = now();
      try {
        this.#run(
          "INSERT INTO vfs (id, name, name_key, type, target, options_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          id,
          n,
          n.toLowerCase(),
          input.type,
          input.target,
          input.optionsEnc,
          t,
          t,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `A VFS named "${n}" already exists`);
        }
        throw err;
      }
      return Promise.resolve({ ...input, id, name: n, createdAt: t, updatedAt: t });
    },
    update: (id, patch) => {
      const cur = this.#get("SELECT * FROM vfs WHERE id = ?", id);
      if (!cur) throw new StoreError("NOT_FOUND", `No VFS with ID "${id}"`);
      const v = { ...toVfs(cur), ...patch };
      const name = checkName(v.name);
      try {
        this.#run(
          "UPDATE vfs SET name = ?, name_key = ?, type = ?, target = ?, options_enc = ?, updated_at = ? WHERE id = ?",
          name,
          name.toLowerCase(),
          v.type,
          v.target,
          v.optionsEnc,
          now(),
          id,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `A VFS named "${name}" already exists`);
        }
        throw err;
      }
      return Promise.resolve(toVfs(this.#get("SELECT * FROM vfs WHERE id = ?", id)!));
    },
    remove: (id) => Promise.resolve(this.#run("DELETE FROM vfs WHERE id = ?", id) > 0),
  });

  secrets: Store["secrets"] = settled({
    list: () => Promise.resolve(this.#all("SELECT * FROM secrets ORDER BY name").map(toSecret)),
    getByName: (name) => {
      const r = this.#get("SELECT * FROM secrets WHERE name = ?", name);
      return Promise.resolve(r && toSecret(r));
    },
    put: (name, valueEnc) => {
      const n = checkName(name);
      const t = now();
      this.#run(
        `INSERT INTO secrets (id, name, value_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc, updated_at = excluded.updated_at`,
        newId(),
        n,
        valueEnc,
        t,
        t,
      );
      return Promise.resolve(toSecret(this.#get("SELECT * FROM secrets WHERE name = ?", n)!));
    },
    remove: (name) => Promise.resolve(this.#run("DELETE FROM secrets WHERE name = ?", name) > 0),
  });

  #insertJob(input: NewJob): JobRecord {
    const t = now();
    const job: JobRecord = {
      id: newId(),
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
    this.#run(
      "INSERT INTO jobs (id, script_id, script_name, file_path, params, status, trigger, node, owner, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    );
    return job;
  }

  jobs: Store["jobs"] = settled({
    create: (input) => Promise.resolve(this.#insertJob(input)),
    get: (id) => {
      const r = this.#get("SELECT * FROM jobs WHERE id = ?", id);
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
      return Promise.resolve(this.#all(sql, ...params).map(toJob));
    },
    update: (id, patch) => {
      const set = setClause(JOB_COLUMNS, patch);
      if (set.sql) this.#run(`UPDATE jobs SET ${set.sql} WHERE id = ?`, ...set.params, id);
      const r = this.#get("SELECT * FROM jobs WHERE id = ?", id);
      if (!r) throw new StoreError("NOT_FOUND", `No job with ID "${id}"`);
      return Promise.resolve(toJob(r));
    },
    failOrphans: (ids, reason) => {
      const failed = this.#tx(() => {
        const t = now();
        const rows: string[] = [];
        for (const id of ids) {
          const n = this.#run(
            "UPDATE jobs SET status = 'failed', exit_code = 1, error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
            reason,
            t,
            id,
          );
          if (n === 0) continue;
          rows.push(id);
          const seq = Number(
            this.#get("SELECT coalesce(max(seq), 0) AS s FROM job_logs WHERE job_id = ?", id)?.s ??
              0,
          );
          this.#run(
            "INSERT INTO job_logs (job_id, seq, ts, level, text) VALUES (?, ?, ?, 'error', ?)",
            id,
            seq + 1,
            t,
            reason,
          );
        }
        return rows;
      });
      return Promise.resolve(failed);
    },
    appendLogs: (lines: LogLine[]) => {
      if (lines.length === 0) return Promise.resolve();
      this.#tx(() => {
        const stmt = this.#db.prepare(
          "INSERT OR REPLACE INTO job_logs (job_id, seq, ts, level, text) VALUES (?, ?, ?, ?, ?)",
        );
        for (const l of lines) stmt.run(l.jobId, l.seq, l.ts, l.level, l.text);
      });
      return Promise.resolve();
    },
    logs: (jobId, afterSeq = 0, limit = -1) =>
      Promise.resolve(
        this.#all(
          "SELECT * FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          jobId,
          afterSeq,
          limit,
        ).map((r) => ({
          jobId: r.job_id as string,
          seq: Number(r.seq),
          ts: r.ts as string,
          level: r.level as LogLine["level"],
          text: r.text as string,
        })),
      ),
    purge: (cutoff) =>
      Promise.resolve(
        this.#run(
          "DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'halted') AND finished_at < ?",
          cutoff,
        ),
      ),
    claim: (node, opts = {}) =>
      Promise.resolve(this.#tx(() => {
        const r = this.#get("SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1");
        if (!r) return undefined;
        this.#run(
          "UPDATE jobs SET status = 'running', node = ?, owner = ?, started_at = ? WHERE id = ? AND status = 'queued'",
          node,
          opts.owner ?? null,
          now(),
          r.id as string,
        );
        return toJob(this.#get("SELECT * FROM jobs WHERE id = ?", r.id as string)!);
      })),
    countByStatus: () => {
      const out: Record<JobStatus, number> = {
        queued: 0,
        running: 0,
        succeeded: 0,
        failed: 0,
        halted: 0,
      };
      for (const r of this.#all("SELECT status, count(*) AS n FROM jobs GROUP BY status")) {
        out[r.status as JobStatus] = Number(r.n);
      }
      return Promise.resolve(out);
    },
    totals: () =>
      Promise.resolve({
        bytes: Number(
          this.#get("SELECT coalesce(sum(bytes_transferred), 0) AS b FROM jobs")?.b ?? 0,
        ),
      }),
    hourly: (since) =>
      Promise.resolve(
        this.#all(
          "SELECT substr(finished_at, 1, 13) AS hour, status, count(*) AS n, coalesce(sum(bytes_transferred), 0) AS b FROM jobs WHERE finished_at IS NOT NULL AND finished_at >= ? GROUP BY hour, status ORDER BY hour",
          since,
        ).map((r) => ({
          hour: r.hour as string,
          status: r.status as JobStatus,
          count: Number(r.n),
          bytes: Number(r.b),
        })),
      ),
  });

  apikeys: Store["apikeys"] = settled({
    list: () => Promise.resolve(this.#all("SELECT * FROM apikeys ORDER BY name_key").map(toApiKey)),
    getByHash: (hash) => {
      const r = this.#get("SELECT * FROM apikeys WHERE hash = ?", hash);
      return Promise.resolve(r && toApiKey(r));
    },
    create: (input) => {
      const n = checkName(input.name);
      const rec: ApiKeyRecord = {
        ...input,
        name: n,
        id: newId(),
        createdAt: now(),
        lastUsedAt: null,
        lastCallerIp: null,
      };
      try {
        this.#run(
          "INSERT INTO apikeys (id, name, name_key, prefix, hash, allow, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          rec.id,
          n,
          n.toLowerCase(),
          rec.prefix,
          rec.hash,
          JSON.stringify(rec.allow),
          JSON.stringify(rec.scopes),
          rec.createdAt,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `An API key named "${n}" already exists`);
        }
        throw err;
      }
      return Promise.resolve(rec);
    },
    touch: (id, ip) => {
      this.#run(
        "UPDATE apikeys SET last_used_at = ?, last_caller_ip = ? WHERE id = ?",
        now(),
        ip ?? null,
        id,
      );
      return Promise.resolve();
    },
    remove: (idOrName) =>
      Promise.resolve(
        this.#run(
          "DELETE FROM apikeys WHERE id = ? OR name_key = ?",
          idOrName,
          idOrName.trim().toLowerCase(),
        ) > 0,
      ),
  });

  schedules: Store["schedules"] = settled({
    list: () =>
      Promise.resolve(this.#all("SELECT * FROM schedules ORDER BY name_key").map(toSchedule)),
    get: (idOrName) => {
      const r = this.#get(
        "SELECT * FROM schedules WHERE id = ? OR name_key = ?",
        idOrName,
        idOrName.trim().toLowerCase(),
      );
      return Promise.resolve(r && toSchedule(r));
    },
    create: (input) => {
      const n = checkName(input.name);
      const rec: ScheduleRecord = {
        ...input,
        name: n,
        id: newId(),
        createdAt: now(),
        lastRunAt: null,
        lastJobId: null,
      };
      try {
        this.#run(
          "INSERT INTO schedules (id, name, name_key, script, cron, params, enabled, next_run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          rec.id,
          n,
          n.toLowerCase(),
          rec.script,
          rec.cron,
          JSON.stringify(rec.params),
          rec.enabled ? 1 : 0,
          rec.nextRunAt,
          rec.createdAt,
        );
      } catch (err) {
        if (isUnique(err)) {
          throw new StoreError("ALREADY_EXISTS", `A schedule named "${n}" already exists`);
        }
        throw err;
      }
      return Promise.resolve(rec);
    },
    remove: (idOrName) =>
      Promise.resolve(
        this.#run(
          "DELETE FROM schedules WHERE id = ? OR name_key = ?",
          idOrName,
          idOrName.trim().toLowerCase(),
        ) > 0,
      ),
    fire: (id, due, next, job) =>
      Promise.resolve(this.#tx(() => {
        const moved = this.#run(
          "UPDATE schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND next_run_at = ? AND enabled = 1",
          next,
          due,
          id,
          due,
        );
        if (moved === 0) return undefined;
        const rec = this.#insertJob({ ...job, filePath: null, trigger: "schedule" });
        this.#run("UPDATE schedules SET last_job_id = ? WHERE id = ?", rec.id, id);
        return rec;
      })),
    setNext: (id, next) => {
      this.#run("UPDATE schedules SET next_run_at = ? WHERE id = ?", next, id);
      return Promise.resolve();
    },
    update: (id, patch) => {
      const name = patch.name === undefined ? undefined : checkName(patch.name);
      const set = setClause(SCHEDULE_COLUMNS, { ...patch, name, nameKey: name?.toLowerCase() });
      try {
        if (set.sql) this.#run(`UPDATE schedules SET ${set.sql} WHERE id = ?`, ...set.params, id);
      } catch (err) {
        if (!isUnique(err)) throw err;
        throw new StoreError("ALREADY_EXISTS", `A schedule named "${name}" already exists`);
      }
      const r = this.#get("SELECT * FROM schedules WHERE id = ?", id);
      if (!r) throw new StoreError("NOT_FOUND", `No schedule with ID "${id}"`);
      return Promise.resolve(toSchedule(r));
    },
  });

  /** The helpers the repositories in other files share (see `sqlite_query.ts`). */
  get #q(): SqliteQueries {
    return {
      db: this.#db,
      all: (sql, ...p) => this.#all(sql, ...p),
      get: (sql, ...p) => this.#get(sql, ...p),
      run: (sql, ...p) => this.#run(sql, ...p),
      tx: (fn) => this.#tx(fn),
    };
  }

  admins: Store["admins"] = sqliteAdmins(this.#q);
  sessions: Store["sessions"] = sqliteSessions(this.#q);
  failures: Store["failures"] = sqliteFailures(this.#q);
  setupCodes: Store["setupCodes"] = sqliteSetupCodes(this.#q);
  audit: Store["audit"] = sqliteAudit(this.#q);

  watchState: Store["watchState"] = settled({
    get: (key) => {
      const r = this.#get("SELECT state FROM watch_state WHERE key = ?", key);
      return Promise.resolve(r ? String(r.state) : undefined);
    },
    set: (key, state) => {
      this.#run(
        "INSERT INTO watch_state (key, state, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        key,
        state,
        now(),
      );
      return Promise.resolve();
    },
  });
}
