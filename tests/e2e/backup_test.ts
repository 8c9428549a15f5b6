/**
 * `aft backup` while jobs run, and `aft restore` into a new data directory: everything comes
 * back, the secrets decrypt with the copied key, and the database is sound.
 */

import * as assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runAft, tempDataDir } from "./_cli.ts";
import { restClient } from "./_rest.ts";
import { startService, stopClean } from "./_service.ts";

async function ok(args: string[], data: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runAft(args, { data, env });
  assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

async function names(args: string[], data: string): Promise<string[]> {
  return (JSON.parse(await ok([...args, "--json"], data)) as { name: string }[])
    .map((x) => x.name).sort();
}

Deno.test("aft backup taken while 20 jobs run restores into a new data directory with everything", async () => {
  const d1 = await tempDataDir();
  const d2 = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-backup-" });
  const env = { AFT_CONFIG_DIR: join(dir, "config") };
  try {
    const script = async (name: string, source: string) => {
      const f = join(dir, `${name}.syncjs`);
      await Deno.writeTextFile(f, source);
      await ok(["script", "add", name, "-f", f], d1);
    };
    await script(
      "busy",
      'for (let i = 0; i < 400; i++) { Log.Info("tick " + i); if (!Sleep(50)) break; }',
    );
    await script(
      "check-secret",
      'if (GetSecret("pw") !== "s3cret value") Exit(3); Log.Info("secret ok");',
    );
    await ok(["vfs", "add", "local-files", "--type", "disk", "--target", dir], d1);
    await ok(["secret", "set", "pw", "s3cret value"], d1);
    const key = await ok(["apikey", "create", "ops"], d1);
    await ok(["schedule", "add", "nightly", "--script", "busy", "--cron", "0 2 * * *"], d1);
    await ok(["settings", "set", "maxConcurrentJobs", "20"], d1);

    const out = join(dir, "aft backup.tar");
    const svc = await startService(d1, { env });
    try {
      const rest = await restClient(d1, svc.host, key);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) ids.push(await rest.start("busy"));
        await rest.waitAll(ids, ["running"]);
        const b = await runAft(["backup", "--out", out, "--include-master-key"], { data: d1, env });
        assert.equal(b.code, 0, b.stderr);
        assert.match(b.stderr, /WARNING: the backup holds the master key/);
        // Still running: the backup did not stop them.
        const still = await rest.call("GET", `/v1/adm/jobs/${ids[19]}`);
        assert.equal(still.body.status, "running");
      } finally {
        rest.close();
      }
    } finally {
      await stopClean(svc);
    }
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
    const again = await runAft(["backup", "--out", out], { data: d1, env });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);

    const r = await runAft(["restore", out], { data: d2, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /passes its integrity check/);
    assert.match(r.stderr, /the restored master key decrypts the restored store's secrets/);
    // The 20 jobs were running when the copy was taken: they ran on in the first service, and
    // none runs here, so they are failed, saying why (a service started on the copy would see
    // them owned by a process that is alive, and leave them running for ever).
    assert.match(r.stderr, /20 job\(s\) running when the backup was taken marked failed/);
    const db = new DatabaseSync(join(d2, "aft.db"), { readOnly: true });
    try {
      assert.equal(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
      const failed = db.prepare(
        "SELECT count(*) AS n FROM jobs WHERE status = 'failed' AND error LIKE 'Interrupted: the job was running when the backup%'",
      ).get();
      assert.equal(failed?.n, 20);
      const running = db.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'running'").get();
      assert.equal(running?.n, 0);
    } finally {
      db.close();
    }
    assert.equal(
      await Deno.readTextFile(join(d2, "master.key")),
      await Deno.readTextFile(join(d1, "master.key")),
    );
    assert.equal(
      await Deno.readTextFile(join(d2, "tls", "server.pem")),
      await Deno.readTextFile(join(d1, "tls", "server.pem")),
    );

    const svc2 = await startService(d2, { env });
    try {
      assert.deepEqual(await names(["script", "list"], d2), ["busy", "check-secret"]);
      assert.deepEqual(await names(["vfs", "list"], d2), ["local-files"]);
      assert.deepEqual(await names(["secret", "list"], d2), ["pw"]);
      assert.deepEqual(await names(["apikey", "list"], d2), ["ops"]);
      assert.deepEqual(await names(["schedule", "list"], d2), ["nightly"]);
      // The API key works, and the secret decrypts with the copied master key.
      const job = await runAft(
        ["start", "-n", "check-secret", "-a", key, "--host", svc2.host, "--wait"],
        { data: d2, env },
      );
      assert.equal(job.code, 0, job.stdout + job.stderr);
      // A restore over a data directory a service runs on is refused.
      const busy = await runAft(["restore", out, "--force"], { data: d2, env });
      assert.equal(busy.code, 4, busy.stderr);
      assert.match(busy.stderr, /stop it before aft restore/);
    } finally {
      await stopClean(svc2);
    }
    const over = await runAft(["restore", out], { data: d2, env });
    assert.equal(over.code, 1);
    assert.match(over.stderr, /already holds aft\.db.*restore with --force/);
    assert.equal((await runAft(["restore", out, "--force"], { data: d2, env })).code, 0);
  } finally {
    for (const d of [d1, d2, dir]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("aft restore refuses a file that is no aft backup, and archive entries outside the data directory", async () => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-backup-" });
  try {
    const junk = join(dir, "junk.tar");
    await Deno.writeTextFile(junk, "not a tar at all".repeat(100));
    const r = await runAft(["restore", junk], { data });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not an aft backup/);
    // A tar with a path that climbs out.
    await Deno.writeTextFile(join(dir, "manifest.json"), '{"format":"aft-backup","version":1}');
    await Deno.mkdir(join(dir, "x"));
    const evil = join(dir, "evil.tar");
    const tar = await new Deno.Command("tar", {
      args: ["-cPf", evil, "-C", dir, "manifest.json", "x/../junk.tar"],
    }).output();
    assert.equal(tar.code, 0);
    const e = await runAft(["restore", evil], { data });
    assert.equal(e.code, 2);
    assert.match(e.stderr, /unexpected entry "x\/\.\.\/junk\.tar"/);
    await assert.rejects(Deno.stat(join(data, "junk.tar")));
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aft backup says in one sentence when the output's folder is missing or read-only, or the data directory is missing", async (t) => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-backup-" });
  try {
    const missing = await runAft(["backup", "--out", join(dir, "nope", "b.tar")], { data });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr.trim(),
      `aft: Cannot write the backup "${join(dir, "nope", "b.tar")}" into "${
        join(dir, "nope")
      }": the folder does not exist`,
    );
    const noData = join(dir, "no-data");
    const r = await runAft(["backup", "--out", join(dir, "b.tar")], { data: noData });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^aft: No data directory ".*no-data": point --data at the one/);
    await assert.rejects(Deno.stat(noData), "no data directory is made");
    await assert.rejects(Deno.stat(join(dir, "b.tar")));

    // A read-only folder: a read-only bind mount (root only; root ignores a folder's mode).
    const ro = join(dir, "ro");
    await Deno.mkdir(ro);
    const mount = Deno.uid() === 0
      ? await new Deno.Command("mount", { args: ["-o", "bind,ro", ro, ro], stderr: "null" })
        .output()
      : undefined;
    if (!mount?.success) {
      await t.step({ name: "skipped: a read-only bind mount needs root", ignore: true, fn() {} });
      return;
    }
    try {
      const out = join(ro, "b.tar");
      const r = await runAft(["backup", "--out", out], { data });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.trim(),
        `aft: Cannot write the backup "${out}" into "${ro}": the folder is on a read-only file system`,
      );
    } finally {
      await new Deno.Command("umount", { args: [ro] }).output();
    }
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aft restore of a backup whose master key was damaged restores nothing, saying which file", async () => {
  const d1 = await tempDataDir();
  const d2 = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-backup-" });
  try {
    await ok(["secret", "set", "pw", "s3cret value"], d1);
    const out = join(dir, "b.tar");
    await ok(["backup", "--out", out, "--include-master-key"], d1);
    // One bit of master.key's content flipped (its tar header, which has its own checksum,
    // left as it was): the data follows the 512-byte header that names it.
    const bytes = await Deno.readFile(out);
    const name = new TextEncoder().encode("master.key\0");
    let header = -1;
    for (let at = 0; at < bytes.length; at += 512) {
      if (name.every((b, i) => bytes[at + i] === b)) header = at;
    }
    assert.ok(header >= 0, "master.key in the backup");
    bytes[header + 512 + 10]! ^= 1;
    const bad = join(dir, "bad.tar");
    await Deno.writeFile(bad, bytes);

    const r = await runAft(["restore", bad], { data: d2 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /The backup ".*bad\.tar" is damaged: master\.key does not match the checksum its manifest lists; nothing was restored/,
    );
    for (const f of ["aft.db", "master.key", "tls/server.pem"]) {
      await assert.rejects(Deno.stat(join(d2, f)), Deno.errors.NotFound, f);
    }
    // The sound backup restores, and its key reads the store.
    const good = await runAft(["restore", out], { data: d2 });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /the restored master key decrypts the restored store's secrets/);
  } finally {
    for (const d of [d1, d2, dir]) await Deno.remove(d, { recursive: true });
  }
});
