import assert from "node:assert/strict";
import { join } from "node:path";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { SqliteStore } from "../store/sqlite.ts";
import type { Caller } from "./access.ts";

const local: Caller = { kind: "local" };
const key = (scopes: string[]): Caller => ({
  kind: "key",
  key: {
    id: "k",
    name: "k",
    prefix: "x",
    allow: ["127.0.0.1"],
    scopes,
    createdAt: "",
    lastUsedAt: null,
    lastCallerIp: null,
  },
});
const api = { trigger: "api" as const, caller: key(["jobs:start", "files"]) };

Deno.test("submit() queues a stored script by name in any case, or by ID, with its params", async () => {
  await withEngine(async (engine) => {
    const s = await engine.scripts.create({ name: "My Backup Job", source: "Log(1);" });
    const a = await engine.jobs.submit({
      ...api,
      target: { scriptName: "my BACKUP job" },
      params: { destination: "/archive/2026", n: 5 },
    });
    assert.equal(a.status, "queued");
    assert.equal(a.scriptName, "My Backup Job");
    assert.equal(a.scriptId, s.id);
    assert.deepEqual(a.params, { destination: "/archive/2026", n: "5" });
    assert.equal("owner" in a, false);
    const b = await engine.jobs.submit({
      ...api,
      target: { scriptId: s.id },
      params: [{ name: "job_id", value: "abc-123" }],
    });
    assert.deepEqual(b.params, { job_id: "abc-123" });
    assert.deepEqual((await engine.jobs.get(b.id)).params, { job_id: "abc-123" });
  });
});

Deno.test("submit() refuses a request without exactly one target, bad params, an unknown script", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "ok", source: "" });
    await rejectsWith(engine.jobs.submit({ ...api, target: {} }), "INVALID_REQUEST");
    await rejectsWith(
      engine.jobs.submit({ ...api, target: { scriptName: "ok", filePath: "/x.syncjs" } }),
      "INVALID_REQUEST",
    );
    await rejectsWith(
      engine.jobs.submit({ ...api, target: { scriptName: "ok" }, params: "{bad" }),
      "INVALID_REQUEST",
    );
    await rejectsWith(
      engine.jobs.submit({ ...api, target: { scriptName: "ok" }, params: 5 }),
      "INVALID_REQUEST",
    );
    const msg = await rejectsWith(
      engine.jobs.submit({ ...api, target: { scriptName: "nope" } }),
      "SCRIPT_NOT_FOUND",
    );
    assert.match(msg, /No stored script named "nope"/);
    await rejectsWith(
      engine.jobs.submit({ ...api, target: { scriptId: "01xxxxxxxxxxxxxxxxxxxxxxxx" } }),
      "SCRIPT_NOT_FOUND",
    );
    assert.equal((await engine.jobs.list()).jobs.length, 0);
  });
});

Deno.test("a job from a file path needs the files scope and a script folder (scriptRoots)", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "f.syncjs");
      await Deno.writeTextFile(file, "Log(1);");
      await rejectsWith(
        engine.jobs.submit({
          trigger: "api",
          caller: key(["jobs:start"]),
          target: { filePath: file },
        }),
        "MISSING_SCOPE",
      );
      const off = await rejectsWith(
        engine.jobs.submit({ ...api, target: { filePath: file } }),
        "FILE_JOBS_OFF",
      );
      assert.match(off, /aft settings set scriptRoots '\["\/opt\/scripts"\]'/);
      await engine.settings.set("scriptRoots", [dir]);
      const job = await engine.jobs.submit({ ...api, target: { filePath: file } });
      assert.equal(job.filePath, file);
      assert.equal(job.scriptName, "f.syncjs");
      await rejectsWith(
        engine.jobs.submit({ ...api, target: { filePath: "f.syncjs" } }),
        "INVALID_REQUEST",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("hostile file paths are refused before any job is made, with nothing of the file in the error", async () => {
  await withEngine(async (engine, dataDir) => {
    const root = await Deno.makeTempDir();
    const outside = await Deno.makeTempDir();
    try {
      await engine.settings.set("scriptRoots", [root, dataDir]);
      await Deno.writeTextFile(join(outside, "secret.syncjs"), "TOPSECRET_WORD");
      await Deno.writeTextFile(join(root, "notes.txt"), "TOPSECRET_WORD");
      await Deno.symlink(join(outside, "secret.syncjs"), join(root, "link.syncjs"));
      await Deno.symlink("/etc/passwd", join(root, "passwd.syncjs"));
      await Deno.writeTextFile(join(dataDir, "planted.syncjs"), "TOPSECRET_WORD");
      await Deno.mkdir(`${root}2`).catch(() => {});
      await Deno.writeTextFile(`${root}2/sibling.syncjs`, "TOPSECRET_WORD");
      const cases: [string, string][] = [
        ["/etc/shadow", "PATH_NOT_ALLOWED"],
        ["/etc/passwd", "PATH_NOT_ALLOWED"],
        ["/proc/self/environ", "PATH_NOT_ALLOWED"],
        [join(dataDir, "service.token"), "PATH_NOT_ALLOWED"],
        [join(dataDir, "master.key"), "PATH_NOT_ALLOWED"],
        [join(dataDir, "planted.syncjs"), "PATH_NOT_ALLOWED"],
        [`${root}/../../etc/passwd`, "PATH_NOT_ALLOWED"],
        [`${root}/../${outside.split("/").pop()}/secret.syncjs`, "PATH_NOT_ALLOWED"],
        [join(root, "link.syncjs"), "PATH_NOT_ALLOWED"],
        [join(root, "passwd.syncjs"), "PATH_NOT_ALLOWED"],
        [join(root, "notes.txt"), "PATH_NOT_ALLOWED"],
        [`${root}2/sibling.syncjs`, "PATH_NOT_ALLOWED"],
        [join(root, "missing.syncjs"), "FILE_NOT_FOUND"],
        // Whether a file outside the folders exists is not told.
        [join(outside, "missing.syncjs"), "PATH_NOT_ALLOWED"],
      ];
      for (const [p, code] of cases) {
        const msg = await rejectsWith(
          engine.jobs.submit({ ...api, target: { filePath: p } }),
          code,
        );
        assert.doesNotMatch(msg, /TOPSECRET|root:/, p);
      }
      assert.equal((await engine.jobs.list()).jobs.length, 0);
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(`${root}2`, { recursive: true }).catch(() => {});
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("aft run jobs (trigger cli) need allowCliRun and the local caller, not a script folder", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "anything.txt");
      await Deno.writeTextFile(file, "Log(1);");
      const cli = { trigger: "cli" as const, caller: local, target: { filePath: file } };
      await rejectsWith(engine.jobs.submit(cli), "CLI_RUN_OFF");
      await engine.settings.set("allowCliRun", true);
      await rejectsWith(engine.jobs.submit({ ...cli, caller: key(["admin"]) }), "MISSING_SCOPE");
      const job = await engine.jobs.submit(cli);
      assert.equal(job.trigger, "cli");
      assert.equal(job.status, "queued");
      const here = await engine.jobs.submit({ ...cli, here: true });
      assert.equal(here.status, "running");
      assert.equal(here.node, engine.node);
      await rejectsWith(
        engine.jobs.submit({ ...cli, target: { filePath: join(dir, "missing.txt") } }),
        "FILE_NOT_FOUND",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("list() pages newest first and refuses a cursor it did not give", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "s", source: "" });
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await engine.jobs.submit({ ...api, target: { scriptName: "s" } })).id);
    }
    const p1 = await engine.jobs.list({ limit: 2 });
    assert.deepEqual(p1.jobs.map((j) => j.id), [ids[4], ids[3]]);
    const p2 = await engine.jobs.list({ limit: 2, cursor: p1.nextCursor! });
    assert.deepEqual(p2.jobs.map((j) => j.id), [ids[2], ids[1]]);
    const p3 = await engine.jobs.list({ limit: 2, cursor: p2.nextCursor! });
    assert.deepEqual(p3.jobs.map((j) => j.id), [ids[0]]);
    assert.equal(p3.nextCursor, null);
    for (
      const bad of ["garbage", "' OR 1=1 --", "zzzzzzzzzzzzzzzzzzzzzzzzzz!", ids[0]!.toUpperCase()]
    ) {
      await rejectsWith(engine.jobs.list({ cursor: bad }), "INVALID_CURSOR");
    }
    await rejectsWith(engine.jobs.list({ status: "done" }), "INVALID_REQUEST");
    await rejectsWith(engine.jobs.list({ limit: 0 }), "INVALID_REQUEST");
    assert.equal((await engine.jobs.list({ status: "queued", script: "S" })).jobs.length, 5);
  });
});

Deno.test("halt() halts a queued job in place and refuses a finished one", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "s", source: "" });
    const job = await engine.jobs.submit({ ...api, target: { scriptName: "s" } });
    const seen: string[] = [];
    const off = engine.bus.on((e) => e.type === "job" && seen.push(e.job.status));
    const halted = await engine.jobs.halt(job.id);
    off();
    assert.equal(halted.status, "halted");
    assert.equal(halted.startedAt, null);
    assert.deepEqual(seen, ["halted"]);
    await rejectsWith(engine.jobs.halt(job.id), "JOB_FINISHED");
    await rejectsWith(engine.jobs.halt("nope"), "JOB_NOT_FOUND");
    await rejectsWith(engine.jobs.get("nope"), "JOB_NOT_FOUND");
  });
});

Deno.test("follow() yields the stored lines, then the job once it has ended", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "s", source: "" });
    const job = await engine.jobs.submit({ ...api, target: { scriptName: "s" } });
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of engine.jobs.follow(job.id, { pollMs: 20 })) {
        seen.push(e.type === "line" ? e.line.text : `end ${e.job.status}`);
      }
    })();
    // Another process would write these; the follower reads them from the store.
    await new Promise((r) => setTimeout(r, 50));
    await engine.jobs.halt(job.id);
    await following;
    assert.deepEqual(seen, ["end halted"]);
    const { lines, job: j } = await engine.jobs.log(job.id);
    assert.equal(j.status, "halted");
    assert.deepEqual(lines, []);
    await rejectsWith(engine.jobs.log("nope"), "JOB_NOT_FOUND");
  });
});

Deno.test("follow() of a job whose process is gone (kill -9) ends, saying so, instead of waiting for ever", async () => {
  await withEngine(async (engine, dataDir) => {
    await engine.scripts.create({ name: "s", source: "" });
    const job = await engine.jobs.submit({ ...api, target: { scriptName: "s" } });
    // Recorded as running by a process of this node that has since ended.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    const other = new SqliteStore(join(dataDir, "aft.db"));
    try {
      await other.jobs.update(job.id, {
        status: "running",
        startedAt: new Date().toISOString(),
        node: engine.node,
        owner: `${gone.pid}:0`,
      });
      await other.jobs.appendLogs([
        { jobId: job.id, seq: 1, ts: new Date().toISOString(), level: "info", text: "before" },
      ]);
    } finally {
      await other.close();
    }
    const seen: string[] = [];
    for await (const e of engine.jobs.follow(job.id, { pollMs: 20 })) {
      seen.push(e.type === "line" ? e.line.text : `end ${e.job.status}: ${e.job.error}`);
    }
    assert.deepEqual(seen, [
      "before",
      "end running: The job is recorded as running, but the process that ran it is gone: it will be marked failed when aft serve next starts on this data directory",
    ]);
  });
});

Deno.test("a full disk makes submit() fail with STORAGE_FULL and records nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "aft.db");
    const setup = new SqliteStore(path);
    await setup.migrate();
    await setup.close();
    const pages = Math.ceil((await Deno.stat(path)).size / 4096);
    await withEngine(async (engine) => {
      await engine.scripts.create({ name: "s", source: "" });
      const msg = await rejectsWith(
        engine.jobs.submit({
          ...api,
          target: { scriptName: "s" },
          params: { big: "x".repeat(300_000) },
        }),
        "STORAGE_FULL",
      );
      assert.match(msg, /disk .* is full/);
      assert.equal((await engine.jobs.list()).jobs.length, 0);
    }, { store: new SqliteStore(path, { maxPageCount: pages + 8 }) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
