/**
 * `copyStore()`: a SQLite store with every kind of record (hostile names, NUL in a log line,
 * booleans, JSON, times) copied into a new PostgreSQL database reads back the same through the
 * PostgreSQL store; a target that holds anything is refused and left as it was.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { copyStore } from "../../src/store/copy.ts";
import { PostgresStore } from "../../src/store/postgres/postgres.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { StoreError } from "../../src/store/types.ts";
import type { Store } from "../../src/store/types.ts";
import { startPostgres } from "../fixtures/postgres.ts";

const input = {
  scriptId: null,
  filePath: null,
  params: { "k'\"": "v\n" },
  trigger: "api" as const,
};

/** Everything a store lists, for comparing two stores. */
async function contents(s: Store) {
  const jobs = await s.jobs.list({ limit: 1000 });
  return {
    settings: await s.settings.all(),
    scripts: await s.scripts.list(),
    vfs: await s.vfs.list(),
    secrets: await s.secrets.list(),
    apikeys: await s.apikeys.list(),
    schedules: await s.schedules.list(),
    jobs,
    logs: await Promise.all(jobs.map((j) => s.jobs.logs(j.id))),
    watch: await s.watchState.get("w\nkey"),
    admins: await s.admins.list(),
    sessions: await s.sessions.list("2026-01-01T00:00:00.000Z"),
    audit: await s.audit.list({ limit: 1000 }),
    failures: await s.failures.recent("ip:192.0.2.1", "2026-01-01T00:00:00.000Z"),
    setupCode: await s.setupCodes.valid("c".repeat(64), "2026-01-01T00:00:00.000Z"),
  };
}

if (Deno.build.os !== "linux") {
  Deno.test({ name: "store copy (runs on Linux)", ignore: true, fn() {} });
} else {
  const pg = await startPostgres();
  globalThis.addEventListener("unload", () => {
    pg.stop();
  });

  Deno.test("copyStore(): every record of a SQLite store reads back the same from PostgreSQL", async () => {
    const dir = await Deno.makeTempDir({ prefix: "aft-copy-" });
    const file = join(dir, "aft.db");
    const url = await pg.createDatabase();
    const src = new SqliteStore(file);
    const dst = new PostgresStore(url, { max: 2 });
    try {
      await src.migrate();
      await src.settings.set("maxConcurrentJobs", 7);
      await src.settings.set("localRoots", ["/srv/in", "/srv/o'ut"]);
      const script = await src.scripts.create({ name: `O'Brien "x" ..\\b`, source: "Log.Info(1)" });
      await src.vfs.create({
        name: "sftp",
        type: "sftp",
        target: "sftp://h/",
        optionsEnc: "v1:a:b",
      });
      await src.secrets.put("Token", "v1:c:d");
      const key = await src.apikeys.create({
        name: "ci",
        prefix: "p",
        hash: "h",
        allow: ["10.0.0.0/8"],
        scopes: ["admin"],
      });
      await src.apikeys.touch(key.id);
      await src.schedules.create({
        name: "Nightly",
        script: script.name,
        cron: "0 2 * * *",
        params: { a: "b" },
        enabled: false,
        nextRunAt: null,
      });
      const done = await src.jobs.create({
        ...input,
        scriptId: script.id,
        scriptName: script.name,
      });
      await src.jobs.claim("old-host", { owner: "1:1" });
      await src.jobs.appendLogs([
        { jobId: done.id, seq: 1, ts: "2026-01-01T00:00:00.000Z", level: "info", text: "a\u0000b" },
        {
          jobId: done.id,
          seq: 2,
          ts: "2026-01-01T00:00:01.000Z",
          level: "error",
          text: "x".repeat(70_000),
        },
      ]);
      await src.jobs.update(done.id, {
        status: "failed",
        exitCode: 1,
        error: "boom",
        finishedAt: "2026-01-01T00:00:02.000Z",
        bytesTransferred: 2 ** 40,
      });
      await src.jobs.create({ ...input, scriptName: "queued" });
      await src.watchState.set("w\nkey", JSON.stringify({ seen: ["a"] }));
      await src.nodes.register({ id: "old-host", address: null, version: "0" });
      const ada = await src.admins.create({ username: "Ada", passwordHash: "$scrypt$x" });
      await src.admins.update(ada.id, { totpSecretEnc: "v1:e:f" });
      await src.admins.useTotpStep(ada.id, 2 ** 33);
      await src.sessions.create({
        adminId: ada.id,
        tokenHash: "a".repeat(64),
        stage: "active",
        ip: "192.0.2.1",
        expiresAt: "2099-01-01T00:00:00.000Z",
      });
      await src.audit.add({
        actorKind: "admin",
        actorName: `O'Brien "x"`,
        ip: "192.0.2.1",
        action: "script.create",
        target: script.name,
        detail: { changes: { a: [1, "b"] } },
        outcome: "ok",
      });
      await src.failures.add(["ip:192.0.2.1"], "2026-06-01T00:00:00.000Z");
      await src.setupCodes.add("c".repeat(64), "2099-01-01T00:00:00.000Z");
      const want = await contents(src);

      const report = await copyStore(file, url);
      assert.deepEqual(
        Object.fromEntries(report.map((r) => [r.table, r.rows])),
        {
          settings: 2,
          scripts: 1,
          vfs: 1,
          secrets: 1,
          apikeys: 1,
          schedules: 1,
          admins: 1,
          jobs: 2,
          job_logs: 2,
          watch_state: 1,
          audit: 1,
          auth_failures: 1,
          sessions: 1,
          setup_codes: 1,
        },
      );
      await dst.migrate();
      const got = await contents(dst);
      want.logs[want.jobs.findIndex((j) => j.id === done.id)]![0]!.text = "a\uFFFDb";
      assert.deepEqual(got, want);
      assert.deepEqual(await dst.nodes.list(), [], "nodes are not copied");
      // The copy is a working queue: the queued job is claimed there.
      assert.equal((await dst.jobs.claim("new-node"))?.scriptName, "queued");

      await assert.rejects(copyStore(file, url), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.code, "ALREADY_EXISTS");
        assert.match(
          err.message,
          /^The store postgres:\/\/aft:\*\*\*@.* is not empty \(table settings has 2 rows\): copy only into a new database$/,
        );
        return true;
      });
      assert.equal((await dst.scripts.list()).length, 1, "the target is left as it was");
    } finally {
      await src.close();
      await dst.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
