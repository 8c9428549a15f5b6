/**
 * The embedded store: SQLite through `node:sqlite`, in WAL mode so the service and `aft run`
 * can share one database file.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { resolve } from "../path.ts";
import { newId } from "./ids.ts";
import { LocalSignals } from "./local_signals.ts";
import { backupBeforeMigration, integrityProblems, vacuumInto } from "./sqlite_backup.ts";
import {
  checkName,
  now,
  type Row,
  SCHEDULE_COLUMNS,
  slotKey,
  toApiKey,
  toSchedule,
  toScript,
  toSecret,
  toVfs,
} from "./rows.ts";
import {
  mapped,
  migrateDatabase,
  openDatabase,
  settled,
  type SqliteOptions,
} from "./sqlite_file.ts";
import { sqliteAudit } from "./sqlite_audit.ts";
import { sqliteAdmins, sqliteFailures, sqliteSessions, sqliteSetupCodes } from "./sqlite_auth.ts";
import { insertJob, jobCommits, sqliteJobs, sqliteNodes } from "./sqlite_jobs.ts";
import type { JobCommits } from "./sqlite_group_commit.ts";
import { isUnique, setClause, type SqliteQueries } from "./sqlite_query.ts";
import { type ApiKeyRecord, type ScheduleRecord, type Store, StoreError } from "./types.ts";

export type { SqliteOptions };

/** Prepared statements kept per store (the store's SQL texts; lists vary by filter). */
const STATEMENT_CACHE = 256;

/** Opens (and creates) the database at `path`; call `migrate()` before use. */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly location: string;
  #db: DatabaseSync;
  readonly signals: LocalSignals;
  readonly #path: string;
  readonly #commits: JobCommits;

  constructor(path: string, opts: SqliteOptions = {}) {
    this.location = path === ":memory:" ? path : resolve(path);
    this.signals = new LocalSignals(
      this.location === ":memory:" ? crypto.randomUUID() : this.location,
    );
    this.#db = openDatabase(path, opts);
    this.#commits = jobCommits(this.#q, this.signals);
    this.jobs = sqliteJobs(this.#q, this.signals, this.#commits);
    this.nodes = sqliteNodes(this.#q);
    this.#path = path;
  }

  /** Prepared statements by SQL text, the oldest dropped past STATEMENT_CACHE. */
  readonly #statements = new Map<string, StatementSync>();

  /**
   * The statement for `sql`, prepared once: preparing costs more than running most of the
   * store's statements (a job insert spent a third of its time there).
   */
  #prepared(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#prepared(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#prepared(sql).get(...params) as Row | undefined;
  }

  get #q(): SqliteQueries {
    return {
      db: this.#db,
      all: (sql, ...p) => this.#all(sql, ...p),
      get: (sql, ...p) => this.#get(sql, ...p),
      run: (sql, ...p) => this.#run(sql, ...p),
      tx: (fn) => this.#tx(fn),
    };
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#prepared(sql).run(...params).changes);
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
    try {
      migrateDatabase(this.#db, (fn) => this.#tx(fn), this.location, (before) => {
        // The database about to change is kept as it was, should the new version misbehave.
        if (this.#path !== ":memory:") backupBeforeMigration(this.#db, this.#path, before);
      });
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#commits.flush();
    this.#statements.clear();
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

  changeMark(): number {
    return Number(this.#get("PRAGMA data_version")?.data_version ?? 0);
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
    add: (key, value) => {
      const changed = this.#run(
        "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
        key,
        JSON.stringify(value),
      );
      return Promise.resolve(changed > 0);
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

  jobs: Store["jobs"];
  nodes: Store["nodes"];

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
          // One row: the one with that ID, else the one with that name (never both).
          "DELETE FROM apikeys WHERE id = (SELECT id FROM apikeys WHERE id = ? OR name_key = ? ORDER BY id = ? DESC LIMIT 1)",
          idOrName,
          idOrName.trim().toLowerCase(),
          idOrName,
        ) > 0,
      ),
  });

  schedules: Store["schedules"] = settled({
    list: () =>
      Promise.resolve(this.#all("SELECT * FROM schedules ORDER BY name_key").map(toSchedule)),
    get: (idOrName) => {
      const r = this.#get(
        "SELECT * FROM schedules WHERE id = ? OR name_key = ? ORDER BY id = ? DESC LIMIT 1",
        idOrName,
        idOrName.trim().toLowerCase(),
        idOrName,
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
          // One row: the one with that ID, else the one with that name (never both).
          "DELETE FROM schedules WHERE id = (SELECT id FROM schedules WHERE id = ? OR name_key = ? ORDER BY id = ? DESC LIMIT 1)",
          idOrName,
          idOrName.trim().toLowerCase(),
          idOrName,
        ) > 0,
      ),
    fire: (id, due, next, job) => {
      const rec = this.#tx(() => {
        const moved = this.#run(
          "UPDATE schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND next_run_at = ? AND enabled = 1",
          next,
          due,
          id,
          due,
        );
        if (moved === 0) return undefined;
        const rec = insertJob(
          this.#q,
          { ...job, filePath: null, trigger: "schedule" },
          slotKey(id, due),
        );
        if (rec) this.#run("UPDATE schedules SET last_job_id = ? WHERE id = ?", rec.id, id);
        return rec;
      });
      if (rec) this.signals.send("job_queued", rec.id);
      return Promise.resolve(rec);
    },
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
