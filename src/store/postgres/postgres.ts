/**
 * The PostgreSQL store: several `aft serve` nodes on one database share scripts, settings,
 * secrets, the job queue and the node table. Same contract as the SQLite store (one conformance
 * suite runs on both); what differs is only SQL. Connections come from a pool (postgres.js); a
 * transaction holds one connection for its length.
 *
 * @example
 * ```ts
 * const store = new PostgresStore("postgres://aft:secret@db.example:5432/aft?sslmode=verify-full");
 * await store.migrate();
 * await store.close();
 * ```
 * @module
 */

import postgres from "postgres";
import { newId } from "../ids.ts";
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
} from "../rows.ts";
import { redactStoreUrl } from "../store_url.ts";
import { type Store, StoreError, type StoreSignals } from "../types.ts";
import { pgAudit } from "./audit.ts";
import { pgAdmins, pgFailures, pgSessions, pgSetupCodes } from "./auth.ts";
import { pgOptions } from "./connect.ts";
import { mapFailures, unavailable } from "./failures.ts";
import { insertJob, pgJobs, pgNodes } from "./jobs.ts";
import { migratePostgres } from "./migrations.ts";
import { PgSignals } from "./signals.ts";

/** True for PostgreSQL's unique_violation. */
function isUnique(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "23505";
}

/** Runs `fn`, turning a unique violation into ALREADY_EXISTS with `message`. */
async function unique<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUnique(err)) throw new StoreError("ALREADY_EXISTS", message);
    throw err;
  }
}

/** A store on the database at `url` (postgres://...); call `migrate()` before use. */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly location: string;
  readonly #sql: postgres.Sql;
  readonly signals: StoreSignals;
  readonly jobs: Store["jobs"];
  readonly nodes: Store["nodes"];
  readonly admins: Store["admins"];
  readonly sessions: Store["sessions"];
  readonly failures: Store["failures"];
  readonly setupCodes: Store["setupCodes"];
  readonly audit: Store["audit"];

  /** `max`: connections in the pool (default 10). INVALID for a malformed URL. */
  constructor(url: string, opts: { max?: number } = {}) {
    this.location = redactStoreUrl(url);
    this.#sql = postgres(pgOptions(url, opts));
    // Every repository answers a lost or refused database the same way (see failures.ts).
    const m = <T extends object>(repo: T) => mapFailures(this.location, repo);
    this.signals = m(new PgSignals(this.#sql));
    this.jobs = m(pgJobs(this.#sql));
    this.nodes = m(pgNodes(this.#sql));
    this.settings = m(this.settings);
    this.scripts = m(this.scripts);
    this.vfs = m(this.vfs);
    this.secrets = m(this.secrets);
    this.apikeys = m(this.apikeys);
    this.schedules = m(this.schedules);
    this.admins = m(pgAdmins(this.#sql));
    this.sessions = m(pgSessions(this.#sql));
    this.failures = m(pgFailures(this.#sql));
    this.setupCodes = m(pgSetupCodes(this.#sql));
    this.audit = m(pgAudit(this.#sql));
    this.watchState = m(this.watchState);
  }

  async migrate(): Promise<void> {
    try {
      await migratePostgres(this.#sql, this.location);
    } catch (err) {
      throw unavailable(this.location, err);
    }
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }

  settings: Store["settings"] = {
    all: async () => {
      const out: Record<string, unknown> = {};
      for (const r of await this.#sql`SELECT key, value FROM settings`) out[r.key] = r.value;
      return out;
    },
    set: async (key, value) => {
      await this.#sql`INSERT INTO settings (key, value)
        VALUES (${key}, ${this.#sql.json(value as postgres.JSONValue)})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
    },
    add: async (key, value) => {
      const r = await this.#sql`INSERT INTO settings (key, value)
        VALUES (${key}, ${this.#sql.json(value as postgres.JSONValue)})
        ON CONFLICT (key) DO NOTHING`;
      return r.count > 0;
    },
    remove: async (key) => {
      await this.#sql`DELETE FROM settings WHERE key = ${key}`;
    },
  };

  scripts: Store["scripts"] = {
    list: async () => (await this.#sql`SELECT * FROM scripts ORDER BY name_key`).map(toScript),
    get: async (id) => {
      const [r] = await this.#sql`SELECT * FROM scripts WHERE id = ${id}`;
      return r && toScript(r);
    },
    getByName: async (name) => {
      const [r] = await this.#sql`SELECT * FROM scripts
        WHERE name_key = ${name.trim().toLowerCase()}`;
      return r && toScript(r);
    },
    create: async ({ name, source }) => {
      const n = checkName(name);
      const id = newId();
      const t = now();
      return await unique(`A script named "${n}" already exists`, async () => {
        await this.#sql`INSERT INTO scripts (id, name, name_key, source, created_at, updated_at)
          VALUES (${id}, ${n}, ${n.toLowerCase()}, ${source}, ${t}, ${t})`;
        return { id, name: n, source, createdAt: t, updatedAt: t };
      });
    },
    update: async (id, patch) => {
      const [cur] = await this.#sql`SELECT * FROM scripts WHERE id = ${id}`;
      if (!cur) throw new StoreError("NOT_FOUND", `No script with ID "${id}"`);
      const name = patch.name === undefined ? String(cur.name) : checkName(patch.name);
      const source = patch.source ?? String(cur.source);
      return await unique(`A script named "${name}" already exists`, async () => {
        const [r] = await this.#sql`UPDATE scripts SET name = ${name},
          name_key = ${name.toLowerCase()}, source = ${source}, updated_at = ${now()}
          WHERE id = ${id} RETURNING *`;
        if (!r) throw new StoreError("NOT_FOUND", `No script with ID "${id}"`);
        return toScript(r);
      });
    },
    remove: async (id) => (await this.#sql`DELETE FROM scripts WHERE id = ${id}`).count > 0,
  };

  vfs: Store["vfs"] = {
    list: async () => (await this.#sql`SELECT * FROM vfs ORDER BY name_key`).map(toVfs),
    get: async (id) => {
      const [r] = await this.#sql`SELECT * FROM vfs WHERE id = ${id}`;
      return r && toVfs(r);
    },
    getByName: async (name) => {
      const [r] = await this.#sql`SELECT * FROM vfs WHERE name_key = ${name.trim().toLowerCase()}`;
      return r && toVfs(r);
    },
    create: async (input) => {
      const n = checkName(input.name);
      const id = newId();
      const t = now();
      return await unique(`A VFS named "${n}" already exists`, async () => {
        await this.#sql`INSERT INTO vfs
          (id, name, name_key, type, target, options_enc, created_at, updated_at)
          VALUES (${id}, ${n}, ${n.toLowerCase()}, ${input.type}, ${input.target},
            ${input.optionsEnc}, ${t}, ${t})`;
        return { ...input, id, name: n, createdAt: t, updatedAt: t };
      });
    },
    update: async (id, patch) => {
      const [cur] = await this.#sql`SELECT * FROM vfs WHERE id = ${id}`;
      if (!cur) throw new StoreError("NOT_FOUND", `No VFS with ID "${id}"`);
      const v = { ...toVfs(cur), ...patch };
      const name = checkName(v.name);
      return await unique(`A VFS named "${name}" already exists`, async () => {
        const [r] = await this.#sql`UPDATE vfs SET name = ${name}, name_key = ${name.toLowerCase()},
          type = ${v.type}, target = ${v.target}, options_enc = ${v.optionsEnc},
          updated_at = ${now()} WHERE id = ${id} RETURNING *`;
        if (!r) throw new StoreError("NOT_FOUND", `No VFS with ID "${id}"`);
        return toVfs(r);
      });
    },
    remove: async (id) => (await this.#sql`DELETE FROM vfs WHERE id = ${id}`).count > 0,
  };

  secrets: Store["secrets"] = {
    list: async () => (await this.#sql`SELECT * FROM secrets ORDER BY name`).map(toSecret),
    getByName: async (name) => {
      const [r] = await this.#sql`SELECT * FROM secrets WHERE name = ${name}`;
      return r && toSecret(r);
    },
    put: async (name, valueEnc) => {
      const n = checkName(name);
      const t = now();
      const [r] = await this.#sql`INSERT INTO secrets (id, name, value_enc, created_at, updated_at)
        VALUES (${newId()}, ${n}, ${valueEnc}, ${t}, ${t})
        ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc,
          updated_at = excluded.updated_at
        RETURNING *`;
      return toSecret(r!);
    },
    remove: async (name) => (await this.#sql`DELETE FROM secrets WHERE name = ${name}`).count > 0,
  };

  apikeys: Store["apikeys"] = {
    list: async () => (await this.#sql`SELECT * FROM apikeys ORDER BY name_key`).map(toApiKey),
    getByHash: async (hash) => {
      const [r] = await this.#sql`SELECT * FROM apikeys WHERE hash = ${hash}`;
      return r && toApiKey(r);
    },
    create: async (input) => {
      const n = checkName(input.name);
      const rec = {
        ...input,
        name: n,
        id: newId(),
        createdAt: now(),
        lastUsedAt: null,
        lastCallerIp: null,
      };
      return await unique(`An API key named "${n}" already exists`, async () => {
        await this.#sql`INSERT INTO apikeys
          (id, name, name_key, prefix, hash, allow, scopes, created_at)
          VALUES (${rec.id}, ${n}, ${n.toLowerCase()}, ${rec.prefix}, ${rec.hash},
            ${this.#sql.json(rec.allow)}, ${this.#sql.json(rec.scopes)}, ${rec.createdAt})`;
        return rec;
      });
    },
    touch: async (id, ip) => {
      await this.#sql`UPDATE apikeys SET last_used_at = ${now()}, last_caller_ip = ${ip ?? null}
        WHERE id = ${id}`;
    },
    remove: async (idOrName) =>
      (await this.#sql`DELETE FROM apikeys WHERE id = (SELECT id FROM apikeys
        WHERE id = ${idOrName} OR name_key = ${idOrName.trim().toLowerCase()}
        ORDER BY id = ${idOrName} DESC LIMIT 1)`).count > 0,
  };

  schedules: Store["schedules"] = {
    list: async () => (await this.#sql`SELECT * FROM schedules ORDER BY name_key`).map(toSchedule),
    get: async (idOrName) => {
      const [r] = await this.#sql`SELECT * FROM schedules
        WHERE id = ${idOrName} OR name_key = ${idOrName.trim().toLowerCase()}
        ORDER BY id = ${idOrName} DESC LIMIT 1`;
      return r && toSchedule(r);
    },
    create: async (input) => {
      const n = checkName(input.name);
      const rec = {
        ...input,
        name: n,
        id: newId(),
        createdAt: now(),
        lastRunAt: null,
        lastJobId: null,
      };
      return await unique(`A schedule named "${n}" already exists`, async () => {
        await this.#sql`INSERT INTO schedules
          (id, name, name_key, script, cron, params, enabled, next_run_at, created_at)
          VALUES (${rec.id}, ${n}, ${n.toLowerCase()}, ${rec.script}, ${rec.cron},
            ${this.#sql.json(rec.params)}, ${rec.enabled}, ${rec.nextRunAt}, ${rec.createdAt})`;
        return rec;
      });
    },
    remove: async (idOrName) =>
      (await this.#sql`DELETE FROM schedules WHERE id = (SELECT id FROM schedules
        WHERE id = ${idOrName} OR name_key = ${idOrName.trim().toLowerCase()}
        ORDER BY id = ${idOrName} DESC LIMIT 1)`).count > 0,
    fire: (id, due, next, job) =>
      this.#sql.begin(async (tx) => {
        // The row lock makes a concurrent fire of the same slot wait, then find it moved.
        const moved = await tx`UPDATE schedules SET next_run_at = ${next}, last_run_at = ${due}
          WHERE id = ${id} AND next_run_at = ${due} AND enabled`;
        if (moved.count === 0) return undefined;
        const rec = await insertJob(
          tx,
          { ...job, filePath: null, trigger: "schedule" },
          slotKey(id, due),
        );
        if (rec) await tx`UPDATE schedules SET last_job_id = ${rec.id} WHERE id = ${id}`;
        return rec;
      }),
    setNext: async (id, next) => {
      await this.#sql`UPDATE schedules SET next_run_at = ${next} WHERE id = ${id}`;
    },
    update: async (id, patch) => {
      const name = patch.name === undefined ? undefined : checkName(patch.name);
      const fields: Record<string, unknown> = { ...patch, name, nameKey: name?.toLowerCase() };
      const set: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) {
        const col = SCHEDULE_COLUMNS[k];
        if (!col || v === undefined) continue;
        set[col] = k === "params" ? this.#sql.json(v as Record<string, string>) : v;
      }
      const cols = Object.keys(set);
      const [r] = await unique(
        `A schedule named "${name}" already exists`,
        () =>
          cols.length > 0
            ? this.#sql`UPDATE schedules SET ${
              this.#sql(set as Record<string, postgres.ParameterOrJSON<never>>, cols)
            } WHERE id = ${id} RETURNING *`
            : this.#sql`SELECT * FROM schedules WHERE id = ${id}`,
      );
      if (!r) throw new StoreError("NOT_FOUND", `No schedule with ID "${id}"`);
      return toSchedule(r);
    },
  };

  watchState: Store["watchState"] = {
    get: async (key) => {
      const [r] = await this.#sql`SELECT state FROM watch_state WHERE key = ${key}`;
      return r ? String((r as Row).state) : undefined;
    },
    set: async (key, state) => {
      await this.#sql`INSERT INTO watch_state (key, state, updated_at)
        VALUES (${key}, ${state}, ${now()})
        ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`;
    },
  };
}
