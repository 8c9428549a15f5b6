import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import {
  AUDIT_CSV_HEADER,
  auditCsvRow,
  auditCsvStream,
  cliActor,
  csvField,
  passwdName,
} from "./audit.ts";
import { redactTarget } from "./audited.ts";

Deno.test("engine.as(actor): each change is recorded with who, from where and what, never a secret", async () => {
  await withEngine(async (engine, dataDir) => {
    const ada = engine.as({ kind: "admin", name: "ada", ip: "192.0.2.7" });
    const key = engine.as({ kind: "apikey", name: "ci", ip: "127.0.0.1" });
    await ada.scripts.create({ name: "Nightly", source: "Log('x')" });
    await ada.scripts.update("Nightly", { name: "Nightly 2" });
    await ada.secrets.set("db-pass", "hunter2-SUPER-secret");
    const folder = await Deno.makeTempDir({ dir: dataDir });
    await ada.vfs.add({ name: "out", type: "disk", target: folder, options: {} });
    await key.settings.update({ maxConcurrentJobs: 2, "smtp.host": "mail.example" });
    const k = await ada.apikeys.create({ name: "deploy", scopes: ["admin"] });
    const job = await key.jobs.submit({
      target: { scriptName: "nightly 2" },
      params: { when: "now" },
      trigger: "api",
      caller: { kind: "local" },
    });
    await key.jobs.halt(job.id);
    await ada.schedules.create({ name: "every night", script: "Nightly 2", cron: "0 2 * * *" });
    await ada.schedules.remove("every night");
    await ada.secrets.remove("db-pass");
    await ada.scripts.remove("Nightly 2");
    // Reads and failed changes are not recorded.
    await ada.scripts.list();
    await rejectsWith(ada.scripts.remove("Nightly 2"), "SCRIPT_NOT_FOUND");

    const { entries } = await engine.audit.list({ limit: 100 });
    assert.deepEqual(entries.map((e) => `${e.actorName} ${e.action} ${e.target}`).reverse(), [
      "ada script.create Nightly",
      "ada script.update Nightly 2",
      "ada secret.set db-pass",
      "ada vfs.add out",
      "ci settings.update maxConcurrentJobs, smtp.host",
      "ada apikey.create deploy",
      `ci job.start ${job.id}`,
      `ci job.halt ${job.id}`,
      "ada schedule.create every night",
      "ada schedule.remove every night",
      "ada secret.remove db-pass",
      "ada script.remove Nightly 2",
    ]);
    const byAction = (a: string) => entries.find((e) => e.action === a)!;
    assert.deepEqual(byAction("settings.update").detail, {
      changes: { maxConcurrentJobs: 2, "smtp.host": "mail.example" },
    });
    assert.equal(byAction("settings.update").ip, "127.0.0.1");
    assert.equal(byAction("settings.update").actorKind, "apikey");
    assert.deepEqual(byAction("script.update").detail, {
      renamedFrom: "Nightly",
      sourceChanged: false,
      bytes: 8,
    });
    assert.deepEqual(byAction("job.start").detail, {
      script: "Nightly 2",
      trigger: "api",
      params: ["when"],
    });
    assert.deepEqual(byAction("apikey.create").detail?.scopes, ["admin"]);
    const all = JSON.stringify(entries);
    assert.ok(!all.includes("hunter2"), "a secret's value never reaches the log");
    assert.ok(!all.includes(k.key), "nor a key");
    assert.ok(!all.includes('"now"'), "nor a job's parameter values");
  });
});

Deno.test("audit filters: actor, action or its group, time range, and pages by cursor", async () => {
  await withEngine(async (engine) => {
    const as = (name: string) => engine.as({ kind: "admin", name });
    for (let i = 0; i < 7; i++) await as(i % 2 ? "Bob" : "ada").secrets.set(`s${i}`, "v");
    await as("ada").scripts.create({ name: "x", source: "" });
    const list = (q: Parameters<typeof engine.audit.list>[0]) =>
      engine.audit.list(q).then((p) => p.entries);
    assert.equal((await list({ actor: "bob" })).length, 3);
    assert.equal((await list({ action: "secret" })).length, 7);
    assert.equal((await list({ action: "secret.set" })).length, 7);
    assert.equal((await list({ action: "secre" })).length, 0);
    assert.equal((await list({ action: "script.create", actor: "ADA" })).length, 1);
    const first = await engine.audit.list({ limit: 3 });
    const second = await engine.audit.list({ limit: 3, cursor: first.nextCursor! });
    const third = await engine.audit.list({ limit: 3, cursor: second.nextCursor! });
    assert.deepEqual(
      [...first.entries, ...second.entries, ...third.entries].map((e) => e.id),
      (await list({ limit: 100 })).map((e) => e.id).slice(0, 8),
    );
    assert.equal(third.nextCursor, null);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await list({ from: future })).length, 0);
    assert.equal((await list({ to: future })).length, 8);
    assert.equal((await list({ to: "2001-01-01" })).length, 0);
    await rejectsWith(engine.audit.list({ from: "yesterday" }), "INVALID_REQUEST");
    await rejectsWith(engine.audit.list({ cursor: "zz" }), "INVALID_CURSOR");
    await rejectsWith(engine.audit.list({ limit: 0 }), "INVALID_REQUEST");
    let n = 0;
    for await (const _ of engine.audit.all({ action: "secret" })) n++;
    assert.equal(n, 7);
  });
});

Deno.test("audit CSV: quoted where needed, formulas defused, one CRLF line per entry", async () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
  assert.equal(csvField("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvField("-1+2"), "'-1+2");
  assert.equal(csvField(null), "");
  const e = {
    id: "x",
    at: "2026-03-01T10:00:00.000Z",
    actorKind: "admin",
    actorName: "<script>",
    ip: "::1",
    action: "secret.set",
    target: "a,b",
    detail: { created: true },
    outcome: "ok" as const,
  };
  assert.equal(
    auditCsvRow(e),
    '2026-03-01T10:00:00.000Z,admin,<script>,::1,secret.set,"a,b",ok,"{""created"":true}"\r\n',
  );
  async function* two() {
    yield e;
    yield { ...e, target: null, detail: null };
  }
  const text = await new Response(auditCsvStream(two())).text();
  assert.deepEqual(text.split("\r\n"), [
    AUDIT_CSV_HEADER,
    auditCsvRow(e).trimEnd(),
    "2026-03-01T10:00:00.000Z,admin,<script>,::1,secret.set,,ok,",
    "",
  ]);
});

Deno.test("a VFS target's password is masked in the log", () => {
  assert.equal(redactTarget("sftp://ada:s3cret@host:22/dir"), "sftp://ada:***@host:22/dir");
  assert.equal(redactTarget("sftp://ada@host/dir"), "sftp://ada@host/dir");
  assert.equal(redactTarget("/srv/data"), "/srv/data");
});

Deno.test("retention: audit entries older than max(auditRetentionDays, jobRetentionDays) go", async () => {
  await withEngine(async (engine, dataDir) => {
    await engine.as({ kind: "cli", name: "x" }).secrets.set("a", "b");
    await engine.as({ kind: "cli", name: "x" }).secrets.set("c", "d");
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(join(dataDir, "aft.db"));
    const old = (days: number) => new Date(Date.now() - days * 86400_000).toISOString();
    const [a, b] = (await engine.audit.list()).entries;
    db.prepare("UPDATE audit SET at = ? WHERE id = ?").run(old(100), a!.id);
    db.prepare("UPDATE audit SET at = ? WHERE id = ?").run(old(400), b!.id);
    db.close();
    const { purgeAuthRecords } = await import("./retention.ts");
    await engine.settings.update({ auditRetentionDays: 30, jobRetentionDays: 200 });
    const logs: string[] = [];
    const core = await coreOf(dataDir);
    try {
      await purgeAuthRecords(core, (m) => logs.push(m));
    } finally {
      await core.close();
    }
    const left = await engine.audit.list({ action: "secret" });
    assert.deepEqual(left.entries.map((e) => e.id), [a!.id]);
    assert.deepEqual(logs, ["removed 1 audit log entry older than 200 days"]);
  });
});

/** A core over the data directory's database, as the service's queue has one. */
async function coreOf(dataDir: string) {
  const { createCore } = await import("./engine.ts");
  const { SqliteStore } = await import("../store/sqlite.ts");
  return createCore(dataDir, new SqliteStore(join(dataDir, "aft.db")));
}

Deno.test("engine.as(actor): the console's newer changes are recorded too (VFS edits and files, schedule edits, run now, run again)", async () => {
  await withEngine(async (engine, dataDir) => {
    const ada = engine.as({ kind: "admin", name: "ada", ip: "192.0.2.7" });
    await ada.scripts.create({ name: "Nightly", source: "Log('x')" });
    const folder = await Deno.makeTempDir({ dir: dataDir });
    await ada.vfs.add({ name: "out", type: "disk", target: folder, options: {} });
    await ada.vfs.update("out", { name: "out2" });
    await ada.vfs.files.mkdir("out2", "/in");
    const body = new Blob(["hello"]).stream();
    await ada.vfs.files.upload("out2", "/in/a.txt", body, { size: 5 });
    await ada.vfs.files.rename("out2", "/in/a.txt", "/in/b.txt");
    await ada.vfs.files.list("out2", "/in"); // reading: not recorded
    await ada.vfs.files.remove("out2", "/in/b.txt");
    await ada.schedules.create({ name: "nightly", script: "Nightly", cron: "0 2 * * *" });
    await ada.schedules.update("nightly", { enabled: false });
    const now = await ada.schedules.runNow("nightly", {
      trigger: "api",
      caller: { kind: "local" },
    });
    const again = await ada.jobs.rerun(now.id, { trigger: "api", caller: { kind: "local" } });

    const { entries } = await engine.audit.list({ limit: 100 });
    const lines = entries.map((e) => `${e.action} ${e.target}`).reverse();
    assert.deepEqual(lines.slice(2), [
      "vfs.update out2",
      "vfs.file.mkdir out2:/in",
      "vfs.file.upload out2:/in/a.txt",
      "vfs.file.rename out2:/in/a.txt",
      "vfs.file.remove out2:/in/b.txt",
      "schedule.create nightly",
      "schedule.update nightly",
      `job.start ${now.id}`,
      `job.start ${again.id}`,
    ]);
    const find = (a: string) => entries.find((e) => e.action === a)!;
    assert.deepEqual(find("vfs.update").detail, { renamedFrom: "out" });
    assert.deepEqual(find("vfs.file.upload").detail, { size: 5 });
    assert.deepEqual(find("schedule.update").detail, { enabled: false });
    assert.equal(entries.find((e) => e.target === again.id)?.detail?.rerunOf, now.id);
  });
});

Deno.test("a job whose audit entry cannot be written is not queued either", async () => {
  await withEngine(async (engine, dataDir) => {
    await engine.scripts.create({ name: "Nightly", source: "Log('x')" });
    const ci = engine.as({ kind: "apikey", name: "ci", ip: "127.0.0.1" });
    const submit = () =>
      ci.jobs.submit({
        target: { scriptName: "Nightly" },
        trigger: "api",
        caller: { kind: "local" },
      });
    const kept = await submit();
    // The audit table refuses new entries (another connection's trigger): the job's entry
    // fails, and so must the job, else it would run unrecorded.
    const db = new DatabaseSync(join(dataDir, "aft.db"));
    db.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no'); END");
    db.close();
    await assert.rejects(submit());
    await assert.rejects(ci.jobs.rerun(kept.id, { trigger: "api", caller: { kind: "local" } }));
    assert.deepEqual((await engine.jobs.list()).jobs.map((j) => j.id), [kept.id]);
  });
});

Deno.test("passwdName finds the user of an ID in passwd text, and nothing where it is not", () => {
  const text =
    "root:x:0:0:root:/root:/bin/bash\n+nis::5::::\nada:x:1000:1000::/home/ada:/bin/sh\n" +
    "alias:x:1000:1000::/home/alias:/bin/sh\n";
  assert.equal(passwdName(1000, () => text), "ada");
  assert.equal(passwdName(0, () => text), "root");
  assert.equal(passwdName(5, () => text), undefined);
  assert.equal(passwdName(42, () => text), undefined);
  assert.equal(passwdName(null, () => text), undefined);
  assert.equal(
    passwdName(0, () => {
      throw new Deno.errors.NotFound("no file");
    }),
    undefined,
  );
});

Deno.test("cliActor names the OS user running the process, as node:os does", async () => {
  const { userInfo } = await import("node:os");
  assert.deepEqual(await cliActor(), { kind: "cli", name: userInfo().username });
});
