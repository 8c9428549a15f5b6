/**
 * `aft store copy`: moves a single host's SQLite store into a new PostgreSQL database, table by
 * table and row by row (IDs kept, secrets and VFS credentials still encrypted with the same
 * master key, job history and logs included), in one transaction. Both schemas are first brought
 * to this aft's version; a target that holds any row in a table to copy is refused, so nothing
 * is ever overwritten or merged. The node table is not copied (nodes register themselves).
 *
 * Values are converted by the target column's type: SQLite's 0/1 become booleans, JSON text
 * becomes jsonb, ISO text becomes timestamptz; NUL characters, which PostgreSQL text cannot hold,
 * become U+FFFD (as the PostgreSQL store does for log lines).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { pgOptions } from "./postgres/connect.ts";
import { migratePostgres } from "./postgres/migrations.ts";
import { logText } from "./rows.ts";
import { SqliteStore } from "./sqlite.ts";
import { redactStoreUrl } from "./store_url.ts";
import { StoreError } from "./types.ts";

/** Tables copied first, in this order (foreign keys); any other shared table follows. */
const ORDER = [
  "settings",
  "scripts",
  "vfs",
  "secrets",
  "apikeys",
  "schedules",
  "admins",
  "jobs",
  "job_logs",
  "watch_state",
];
/** Tables never copied: the schema's own and the live node list. */
const SKIP = new Set(["schema_version", "nodes"]);
const BATCH = 500;

/** Rows copied per table. */
export type CopyReport = { table: string; rows: number }[];

/**
 * Copies the SQLite database at `from` into the PostgreSQL database at `toUrl`; ALREADY_EXISTS
 * when the target holds data, INVALID for a target that is not PostgreSQL.
 */
export async function copyStore(from: string, toUrl: string): Promise<CopyReport> {
  if (!/^postgres(ql)?:\/\//i.test(toUrl)) {
    throw new StoreError(
      "INVALID",
      `The target must be a postgres:// URL, not "${redactStoreUrl(toUrl)}"`,
    );
  }
  const location = redactStoreUrl(toUrl);
  // The source at this aft's schema version (a copy of an older one is migrated first).
  const source = new SqliteStore(from);
  try {
    await source.migrate();
  } finally {
    await source.close();
  }
  const db = new DatabaseSync(from, { readOnly: true });
  const sql = postgres(pgOptions(toUrl, { max: 1 }));
  try {
    await migratePostgres(sql, location);
    const local = (db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ).all() as { name: string }[]).map((r) => r.name);
    const remote = new Set(
      (await sql`SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
        .map((r) => String(r.table_name)),
    );
    const tables = [
      ...ORDER.filter((t) => local.includes(t)),
      ...local.filter((t) => !ORDER.includes(t)).sort(),
    ].filter((t) => !SKIP.has(t) && remote.has(t));
    for (const t of tables) {
      const [r] = await sql`SELECT count(*) AS n FROM ${sql(t)}`;
      if (Number(r?.n) > 0) {
        throw new StoreError(
          "ALREADY_EXISTS",
          `The store ${location} is not empty (table ${t} has ${r?.n} rows): copy only into a new database`,
        );
      }
    }
    const report: CopyReport = [];
    await sql.begin(async (tx) => {
      for (const t of tables) {
        const types = new Map(
          (await tx`SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ${t}`)
            .map((r) => [String(r.column_name), String(r.data_type)]),
        );
        const rows = db.prepare(`SELECT * FROM "${t}"`).iterate() as Iterable<
          Record<string, unknown>
        >;
        let n = 0;
        let batch: Record<string, unknown>[] = [];
        const write = async () => {
          if (batch.length === 0) return;
          await tx`INSERT INTO ${tx(t)} SELECT * FROM jsonb_populate_recordset(NULL::${tx(t)}, ${
            tx.json(batch as postgres.JSONValue)
          })`;
          n += batch.length;
          batch = [];
        };
        for (const row of rows) {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(row)) {
            const type = types.get(k);
            if (type === undefined) continue; // a column the target does not have
            out[k] = convert(v, type);
          }
          batch.push(out);
          if (batch.length >= BATCH) await write();
        }
        await write();
        report.push({ table: t, rows: n });
      }
    });
    return report;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(
      "UNAVAILABLE",
      `Cannot copy into the store ${location}: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    db.close();
    await sql.end({ timeout: 5 });
  }
}

/** A SQLite value as the PostgreSQL column of `type` takes it (in JSON). */
function convert(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === "boolean") return Number(v) !== 0;
  if (type === "jsonb" || type === "json") return typeof v === "string" ? JSON.parse(v) : v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return logText(v);
  return v;
}
