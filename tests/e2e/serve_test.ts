/**
 * `aft serve` end to end, as the seed documents use it: seed 001's curl commands, seed 000's and
 * seed 002's `aft start` command lines, `aft run` delegation, crash recovery, graceful stop,
 * schedules across a restart, and the TLS trust rules of `aft start`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runAft, spawnAft, tempDataDir } from "./_cli.ts";
import { gracefulStopWorks, startService, stopClean } from "./_service.ts";

interface Ctx {
  data: string;
  dir: string;
  /** Trust-on-first-use records of this test, apart from the user's own. */
  env: Record<string, string>;
}

async function withData(fn: (ctx: Ctx) => Promise<void>) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-serve-" });
  try {
    await fn({ data, dir, env: { AFT_CONFIG_DIR: join(dir, "config") } });
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

async function ok(args: string[], ctx: Ctx): Promise<string> {
  const r = await runAft(args, { data: ctx.data, env: ctx.env });
  assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

async function addScript(ctx: Ctx, name: string, source: string): Promise<string> {
  const f = join(ctx.dir, `${name.replace(/\W/g, "_")}.syncjs`);
  await Deno.writeTextFile(f, source);
  return await ok(["script", "add", name, "-f", f], ctx);
}

async function curl(args: string[]): Promise<{ code: number; body: string }> {
  const out = await new Deno.Command("curl", { args: ["-w", "\n%{http_code}", ...args] }).output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("\n");
  return { code: Number(text.slice(i + 1)), body: text.slice(0, i) };
}

async function jobJson(ctx: Ctx, id: string) {
  return JSON.parse(await ok(["jobs", "show", id, "--json"], ctx));
}

async function waitStatus(ctx: Ctx, id: string, want: string[], ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const j = await jobJson(ctx, id);
    if (want.includes(j.status)) return j;
    if (Date.now() > until) throw new Error(`job ${id} is ${j.status}, not ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PARAMS_SCRIPT =
  'Log.Info("destination=" + Param("destination") + " character=" + Param("character") + " job_id=" + Params("job_id"));';

Deno.test("seed 001: the curl commands get 201 and a job ID; polling shows it succeed", async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "My Backup Job", PARAMS_SCRIPT);
    const key = await ok(["apikey", "create", "ci"], ctx);
    const svc = await startService(ctx.data, { env: ctx.env });
    try {
      const base = `https://127.0.0.1:${svc.port}`;
      // Minimal example, with only host and port changed.
      const a = await curl([
        "-sk",
        "-X",
        "POST",
        `${base}/v1/jobs`,
        "-H",
        `X-API-Key: ${key}`,
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"scriptName":"My Backup Job"}',
      ]);
      assert.equal(a.code, 201, a.body);
      const jobA = JSON.parse(a.body);
      assert.equal(jobA.status, "queued");
      // With parameters.
      const b = await curl([
        "-sk",
        "-X",
        "POST",
        `${base}/v1/jobs`,
        "-H",
        `X-API-Key: ${key}`,
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"scriptName":"My Backup Job","params":{"destination":"/archive/2026","character":"goofy"}}',
      ]);
      assert.equal(b.code, 201, b.body);
      const jobB = JSON.parse(b.body);
      // Poll GET /v1/adm/jobs/{id} with the same key.
      let status = "";
      for (let i = 0; i < 200 && !["succeeded", "failed"].includes(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const p = await curl(["-sk", `${base}/v1/adm/jobs/${jobB.id}`, "-H", `X-API-Key: ${key}`]);
        assert.equal(p.code, 200);
        status = JSON.parse(p.body).status;
      }
      assert.equal(status, "succeeded");
      const log = await ok(["jobs", "log", jobB.id], ctx);
      assert.match(log, /destination=\/archive\/2026 character=goofy/);
      assert.equal((await waitStatus(ctx, jobA.id, ["succeeded"])).trigger, "api");
    } finally {
      await stopClean(svc);
    }
  });
});

Deno.test("seeds 000 and 002: aft start command lines against a running aft serve", async () => {
  await withData(async (ctx) => {
    const id = await addScript(ctx, "My Backup Job", PARAMS_SCRIPT);
    const key = await ok(["apikey", "create", "ci"], ctx);
    const svc = await startService(ctx.data, { env: ctx.env });
    try {
      // Seed 000, minimal: `aft start -n "My Backup Job" -a KEY` (default host 127.0.0.1:44399
      // is replaced by this test's port through --host, the only change).
      const a = await runAft(["start", "-n", "my backup job", "-a", key, "--host", svc.host], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout.trim(), /^[0-9a-z]{26}$/);
      // Seed 000 with parameters and --host.
      const b = await runAft([
        "start",
        "-n",
        "My Backup Job",
        "-a",
        key,
        "--params",
        '{"character":"goofy"}',
        "--host",
        svc.host,
      ], { data: ctx.data, env: ctx.env });
      assert.equal(b.code, 0, b.stderr);
      await waitStatus(ctx, b.stdout.trim(), ["succeeded"]);
      assert.match(await ok(["jobs", "log", b.stdout.trim()], ctx), /character=goofy/);
      // Seed 002: --scriptid, --apikey, --params as the v3 array.
      const c = await runAft([
        "start",
        "--scriptid",
        id,
        "--apikey",
        key,
        "--params",
        '[{"name":"job_id","value":"abc-123"}]',
        "--host",
        svc.host,
      ], { data: ctx.data, env: ctx.env });
      assert.equal(c.code, 0, c.stderr);
      await waitStatus(ctx, c.stdout.trim(), ["succeeded"]);
      assert.match(await ok(["jobs", "log", c.stdout.trim()], ctx), /job_id=abc-123/);
      // $AFT_API_KEY and --wait: the job's log and exit code come back.
      await addScript(ctx, "fails", 'Log.Error("boom"); Exit(3);');
      const d = await runAft(["start", "-n", "fails", "--wait", "--host", svc.host], {
        data: ctx.data,
        env: { ...ctx.env, AFT_API_KEY: key },
      });
      assert.equal(d.code, 3, d.stderr);
      assert.match(d.stdout, /ERROR boom/);
      // Errors: unknown script (5, not found: issue 12.18), wrong key (3), bad params (2),
      // nothing listening (3).
      const e = await runAft(["start", "-n", "nope", "-a", key, "--host", svc.host], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.equal(e.code, 5);
      assert.match(e.stderr, /No stored script named "nope"/);
      const f = await runAft(["start", "-n", "fails", "-a", "wrong", "--host", svc.host], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.equal(f.code, 3);
      assert.match(f.stderr, /not valid/);
      const g = await runAft([
        "start",
        "-n",
        "x",
        "-a",
        key,
        "--params",
        "{bad",
        "--host",
        svc.host,
      ], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.equal(g.code, 2);
    } finally {
      await stopClean(svc);
    }
    const h = await runAft(["start", "-n", "x", "-a", "k", "--host", svc.host], {
      data: ctx.data,
      env: ctx.env,
    });
    assert.equal(h.code, 3);
    assert.match(h.stderr, /Cannot reach/);
  });
});

Deno.test("aft run hands the job to the service on the same data directory", async () => {
  await withData(async (ctx) => {
    await ok(["secret", "set", "tok", "hunter2-secret"], ctx);
    const f = join(ctx.dir, "s.syncjs");
    await Deno.writeTextFile(
      f,
      'Log.Info("k=" + Param("k") + " secret=" + GetSecret("tok")); if (Param("k") === "bad") Exit(2);',
    );
    const svc = await startService(ctx.data, { env: ctx.env });
    try {
      const refused = await runAft(["run", "-f", f], { data: ctx.data, env: ctx.env });
      assert.equal(refused.code, 4);
      // Allowed while the service runs: the service sees the change at once.
      await ok(["settings", "set", "allowCliRun", "true"], ctx);
      const r = await runAft(["run", "-f", f, "-p", '{"k":"v"}'], { data: ctx.data, env: ctx.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /running as job \w+ on the service/);
      assert.match(r.stdout, /k=v secret=\*\*\*/);
      const bad = await runAft(["run", "-f", f, "-p", '{"k":"bad"}'], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.equal(bad.code, 1);
      const jobs = JSON.parse(await ok(["jobs", "list", "--json"], ctx));
      assert.equal(jobs.length, 2);
      assert.ok(jobs.every((j: { trigger: string }) => j.trigger === "cli"));
    } finally {
      await svc.stop();
    }
  });
});

Deno.test("a service killed with SIGKILL comes back with the running job failed and takes new jobs", async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "waiter", 'Log.Info("waiting"); WaitForHaltSignal();');
    await addScript(ctx, "quick", 'Log.Info("quick");');
    const key = await ok(["apikey", "create", "ci"], ctx);
    let svc = await startService(ctx.data, { env: ctx.env });
    const id = await ok(["start", "-n", "waiter", "-a", key, "--host", svc.host], ctx);
    await waitStatus(ctx, id, ["running"]);
    await svc.stop("SIGKILL");
    assert.equal((await jobJson(ctx, id)).status, "running"); // nobody has noticed yet

    svc = await startService(ctx.data, { env: ctx.env, port: svc.port });
    try {
      const job = await jobJson(ctx, id);
      assert.equal(job.status, "failed");
      assert.match(job.error, /service stopped while this job was running/);
      assert.match(
        await ok(["jobs", "log", id], ctx),
        /service stopped while this job was running/,
      );
      const t0 = Date.now();
      const next = await ok(["start", "-n", "quick", "-a", key, "--host", svc.host], ctx);
      await waitStatus(ctx, next, ["succeeded"]);
      assert.ok(Date.now() - t0 < 10_000);
      // The database is intact.
      const db = new DatabaseSync(join(ctx.data, "aft.db"), { readOnly: true });
      try {
        assert.equal(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
      } finally {
        db.close();
      }
    } finally {
      await stopClean(svc);
    }
  });
});

Deno.test({
  name: "SIGTERM: running jobs get the halt signal, the service exits 0 and removes service.json",
  ignore: !gracefulStopWorks,
}, async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "waiter", 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("bye");');
    const key = await ok(["apikey", "create", "ci"], ctx);
    const svc = await startService(ctx.data, { env: ctx.env });
    const id = await ok(["start", "-n", "waiter", "-a", key, "--host", svc.host], ctx);
    await waitStatus(ctx, id, ["running"]);
    // A second job followed with --wait sees its end, not a refused connection: the API stays
    // up a moment after the last job ended.
    const waiting = spawnAft(["start", "-n", "waiter", "-a", key, "--host", svc.host, "--wait"], {
      data: ctx.data,
      env: ctx.env,
    });
    const follower = (async () => {
      const out = await waiting.output();
      const dec = new TextDecoder();
      return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
    })();
    await until("the followed job runs", async () => {
      const all = JSON.parse(await ok(["jobs", "list", "--json"], ctx)) as { status: string }[];
      return all.filter((j) => j.status === "running").length === 2;
    });
    assert.equal(await svc.stop("SIGTERM"), 0);
    assert.match(svc.log(), /stopping; no new jobs, halt signal sent to 2 running job/);
    assert.match(svc.log(), /stopped/);
    const seen = await follower;
    assert.match(seen.text, /bye/);
    assert.match(seen.text, /aft: job \S+ halted: Halted on request/);
    assert.equal(seen.code, 1, seen.text);
    const job = await jobJson(ctx, id);
    assert.equal(job.status, "halted");
    assert.match(await ok(["jobs", "log", id], ctx), /bye/);
    await assert.rejects(Deno.stat(join(ctx.data, "service.json")));
    // reinit works once the service is down.
    await ok(["reinit"], ctx);
  });
});

Deno.test("aft reinit refuses while the service runs; a second aft serve is refused", async () => {
  await withData(async (ctx) => {
    const svc = await startService(ctx.data, { env: ctx.env });
    try {
      const r = await runAft(["reinit"], { data: ctx.data });
      assert.equal(r.code, 4);
      assert.match(r.stderr, /stop it before/);
      const again = await runAft(["serve", "--listen", "127.0.0.1:0"], { data: ctx.data });
      assert.equal(again.code, 4);
      assert.match(again.stderr, /already runs/);
    } finally {
      await svc.stop();
    }
  });
});

/** How many slots of the every-2-seconds cron (each even second) lie in (from, to]. */
function evenSeconds(from: number, to: number): number {
  return Math.floor(to / 2000) - Math.floor(from / 2000);
}

/** Waits, polling, until `check` holds; fails after a generous `ms` (a hang, not a speed). */
async function until(what: string, check: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// No timed assertion: the service may fire late on a busy machine, never early or twice, so
// the runs are bounded by the slots that passed while it ran, whatever the load.
Deno.test("schedules fire, at most once per slot, and catch up once after a restart", async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "tick", 'Log.Info("tick " + Param("who"));');
    const added = Date.now();
    await ok([
      "schedule",
      "add",
      "every-2s",
      "--script",
      "tick",
      "--cron",
      "*/2 * * * * *",
      "-p",
      '{"who":"cron"}',
    ], ctx);
    const list = JSON.parse(await ok(["schedule", "list", "--json"], ctx));
    assert.equal(list[0].name, "every-2s");
    assert.ok(list[0].nextRunAt);
    const bad = await runAft(["schedule", "add", "x", "--script", "tick", "--cron", "nope"], {
      data: ctx.data,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Bad cron expression/);
    const jobs = async () =>
      JSON.parse(await ok(["jobs", "list", "--json"], ctx)) as {
        id: string;
        trigger: string;
        status: string;
      }[];

    let svc = await startService(ctx.data, { env: ctx.env });
    await until("two scheduled runs, one finished", async () => {
      const j = await jobs();
      return j.length >= 2 && j.some((x) => x.status === "succeeded");
    });
    await svc.stop();
    const stopped = Date.now();
    const first = await jobs();
    assert.ok(
      first.length <= evenSeconds(added, stopped),
      `${first.length} runs in ${evenSeconds(added, stopped)} slots`,
    );
    assert.ok(first.every((j) => j.trigger === "schedule"));
    const done = first.find((j) => j.status === "succeeded")!;
    assert.match(await ok(["jobs", "log", done.id], ctx), /tick cron/);

    // Down for a while: several slots missed, caught up with one run at start-up.
    await until("two missed slots", () => Promise.resolve(evenSeconds(stopped, Date.now()) >= 2));
    const restarted = Date.now();
    svc = await startService(ctx.data, { env: ctx.env });
    await until("the catch-up run", () => Promise.resolve(/catching up/.test(svc.log())));
    await svc.stop();
    const made = (await jobs()).length - first.length;
    // The catch-up run, plus at most one run for each slot while it ran.
    assert.ok(made >= 1, "the missed slots were caught up");
    assert.ok(
      made <= 1 + evenSeconds(restarted, Date.now()),
      `${made} runs after the restart, in ${evenSeconds(restarted, Date.now())} slots`,
    );
    assert.equal(svc.log().match(/catching up on runs missed/g)?.length, 1, svc.log());
  });
});

Deno.test("aft start trusts the local service, then a host on first use, and refuses a changed certificate", async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "quick", 'Log.Info("quick");');
    const key = await ok(["apikey", "create", "ci"], ctx);
    const startArgs = (host: string, ...more: string[]) => [
      "start",
      "-n",
      "quick",
      "-a",
      key,
      "--host",
      host,
      ...more,
    ];
    const svc = await startService(ctx.data, { env: ctx.env });
    const other = await tempDataDir();
    try {
      // From another data directory the service is an unknown host: trusted on first use.
      const first = await runAft(["start", "-n", "quick", "-a", key, "--host", svc.host], {
        data: other,
        env: ctx.env,
      });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /trusting the certificate of 127\.0\.0\.1:\d+ on first use/);
      const second = await runAft(["start", "-n", "quick", "-a", key, "--host", svc.host], {
        data: other,
        env: ctx.env,
      });
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stderr, /first use/);
      // --ca-cert with the service's CA verifies the chain instead.
      const ca = await runAft(
        startArgs(svc.host, "--ca-cert", join(ctx.data, "tls", "ca.pem")),
        { data: other, env: { AFT_CONFIG_DIR: join(ctx.dir, "empty-config") } },
      );
      assert.equal(ca.code, 0, ca.stderr);
      assert.doesNotMatch(ca.stderr, /first use/);
      // The service gets a new certificate: the recorded fingerprint no longer matches.
      await svc.stop();
      const oldCa = join(ctx.dir, "old-ca.pem");
      await Deno.copyFile(join(ctx.data, "tls", "ca.pem"), oldCa);
      await Deno.remove(join(ctx.data, "tls"), { recursive: true });
      const svc2 = await startService(ctx.data, { env: ctx.env, port: svc.port });
      try {
        const changed = await runAft(["start", "-n", "quick", "-a", key, "--host", svc2.host], {
          data: other,
          env: ctx.env,
        });
        assert.equal(changed.code, 3);
        assert.match(changed.stderr, /certificate of 127\.0\.0\.1:\d+ has changed/);
        // --ca-cert names the CA to trust: a certificate it did not sign is refused, not
        // trusted on first use (a host not yet known included), and the key is not sent.
        const fresh = { AFT_CONFIG_DIR: join(ctx.dir, "fresh-config") };
        const wrongCa = await runAft(
          startArgs(svc2.host, "--ca-cert", oldCa),
          { data: other, env: fresh },
        );
        assert.equal(wrongCa.code, 3, wrongCa.stderr);
        assert.match(
          wrongCa.stderr,
          /The TLS certificate of 127\.0\.0\.1:\d+ does not verify against --ca-cert \(.+\); refusing to send the request/,
        );
        assert.doesNotMatch(wrongCa.stderr, /first use/);
        await assert.rejects(Deno.stat(join(fresh.AFT_CONFIG_DIR, "known_hosts.json")));
        const notPem = await runAft(
          startArgs(svc2.host, "--ca-cert", ctx.data + "/aft.db"),
          { data: other, env: fresh },
        );
        assert.equal(notPem.code, 2, notPem.stderr);
        assert.match(notPem.stderr, /--ca-cert ".*aft\.db" holds no PEM certificate/);
        const insecure = await runAft(
          ["start", "-n", "quick", "-a", key, "--host", svc2.host, "--insecure"],
          { data: other, env: ctx.env },
        );
        assert.equal(insecure.code, 0, insecure.stderr);
        // The local service's own certificate is trusted from its data directory.
        const local = await runAft(["start", "-n", "quick", "-a", key, "--host", svc2.host], {
          data: ctx.data,
          env: ctx.env,
        });
        assert.equal(local.code, 0, local.stderr);
      } finally {
        await svc2.stop();
      }
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  });
});

Deno.test("aft start --wait with a key that may start jobs but not read them queues nothing, saying why", async () => {
  await withData(async (ctx) => {
    await addScript(ctx, "quick", 'Log.Info("quick");');
    const starter = await ok(["apikey", "create", "starter", "--scope", "jobs:start"], ctx);
    const svc = await startService(ctx.data, { env: ctx.env });
    try {
      const r = await runAft(["start", "-n", "quick", "-a", starter, "--wait"], {
        data: ctx.data,
        env: ctx.env,
      });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /Cannot follow the job's log \(--wait\), so it was not started: The API key "starter" lacks the scope jobs:read/,
      );
      assert.match(await ok(["jobs", "list"], ctx), /no jobs/);
      // Without --wait the same key starts it.
      assert.equal((await runAft(["start", "-n", "quick", "-a", starter], ctx)).code, 0);
    } finally {
      await svc.stop();
    }
  });
});
