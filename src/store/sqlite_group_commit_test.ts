import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "./sqlite.ts";
import type { JobRecord } from "./types.ts";

const input = {
  scriptId: null,
  scriptName: "Backup",
  filePath: null,
  params: {},
  trigger: "api" as const,
};
const entry = (actorName: string) => (job: JobRecord) => ({
  actorKind: "apikey",
  actorName,
  ip: "127.0.0.1",
  action: "job.start",
  target: job.id,
  detail: null,
  outcome: "ok" as const,
});

/** `fn` with a migrated store on a new file, and a second connection to that file. */
async function withStore(fn: (s: SqliteStore, other: DatabaseSync) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aft-group-commit-" });
  const s = new SqliteStore(join(dir, "aft.db"));
  await s.migrate();
  const other = new DatabaseSync(join(dir, "aft.db"));
  try {
    await fn(s, other);
  } finally {
    other.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const count = (db: DatabaseSync, table: string) =>
  Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n);

Deno.test("jobs created at once are committed, each with its entry, before any caller hears", async () => {
  await withStore(async (s, other) => {
    const seen: number[] = [];
    const jobs = await Promise.all(
      Array.from({ length: 30 }, () =>
        s.jobs.create(input, entry("ci")).then((j) => {
          // Another connection sees the job and its entry when the caller gets it.
          seen.push(count(other, "jobs"));
          return j;
        })),
    );
    assert.equal(new Set(jobs.map((j) => j.id)).size, 30);
    assert.ok(seen.every((n) => n === 30), `seen ${seen}`);
    const targets = other.prepare("SELECT target FROM audit").all().map((r) => r.target);
    assert.deepEqual(new Set(targets), new Set(jobs.map((j) => j.id)));
  });
});

Deno.test("a write refused in a group fails its own caller only", async () => {
  await withStore(async (s, other) => {
    other.exec(
      "CREATE TRIGGER no_bad BEFORE INSERT ON audit WHEN NEW.actor_name = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    const results = await Promise.allSettled([
      s.jobs.create(input, entry("ci")),
      s.jobs.create(input, entry("bad")),
      s.jobs.create(input),
      s.jobs.create(input, entry("ci")),
    ]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    assert.equal(count(other, "jobs"), 3);
    assert.equal(count(other, "audit"), 2);
  });
});

Deno.test("jobs still waiting for their commit when the store closes are committed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-group-commit-" });
  try {
    const s = new SqliteStore(join(dir, "aft.db"));
    await s.migrate();
    const pending = [s.jobs.create(input, entry("ci")), s.jobs.create(input)];
    await s.close();
    assert.equal((await Promise.all(pending)).length, 2);
    const db = new DatabaseSync(join(dir, "aft.db"));
    assert.equal(count(db, "jobs"), 2);
    assert.equal(count(db, "audit"), 1);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
