/**
 * The REST API against a real service (HTTPS on loopback, real runner processes): job start and
 * polling as the seeds do it, every kind of bad input, keys, allow-lists, scopes, limits, halt,
 * SSE, OpenAPI and metrics. After each bad request the service must still serve.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { FailureLimiter } from "../../src/api/auth.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { MAX_STORED_SCRIPT_BYTES } from "../../src/engine/scripts.ts";
import { createApiKey, startTestService, type TestService, waitJob } from "./_server.ts";

async function stillServes(svc: TestService) {
  const r = await svc.call("GET", "/v1/health", { key: null });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, "ok");
}

async function withService(
  fn: (svc: TestService) => Promise<void>,
  opts?: Parameters<typeof startTestService>[0],
) {
  const svc = await startTestService(opts);
  try {
    await fn(svc);
  } finally {
    await svc.close();
  }
}

Deno.test("POST /v1/jobs by name (any case) and by ID runs the script with its params", async () => {
  await withService(async (svc) => {
    const script = await svc.engine.scripts.create({
      name: "My Backup Job",
      source: 'Log.Info("dest=" + Param("destination") + " char=" + Params("character"));',
    });
    // Seed 001 body, flat params.
    const r = await svc.call("POST", "/v1/jobs", {
      key: svc.adminKey,
      body: {
        scriptName: "my BACKUP job",
        params: { destination: "/archive/2026", character: "goofy" },
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, "queued");
    assert.equal(r.json.scriptName, "My Backup Job");
    assert.deepEqual(r.json.params, { destination: "/archive/2026", character: "goofy" });
    assert.ok(r.json.id && r.json.createdAt);
    const job = await waitJob(svc, r.json.id);
    assert.equal(job.status, "succeeded");
    assert.equal(job.exitCode, 0);
    assert.equal(job.trigger, "api");
    assert.ok(job.startedAt && job.finishedAt && job.node);
    const log = await svc.call("GET", `/v1/adm/jobs/${r.json.id}/log`);
    assert.equal(log.json.lines[0].text, "dest=/archive/2026 char=goofy");

    // Seed 002 body: scriptId and the v3 array.
    const r2 = await svc.call("POST", "/v1/jobs", {
      body: { scriptId: script.id, params: [{ name: "destination", value: "abc-123" }] },
    });
    assert.equal(r2.status, 201, r2.text);
    assert.equal((await waitJob(svc, r2.json.id)).status, "succeeded");
    const log2 = await svc.call("GET", `/v1/adm/jobs/${r2.json.id}/log`);
    assert.equal(log2.json.lines[0].text, "dest=abc-123 char=");

    // The list, newest first, with a cursor.
    const page1 = await svc.call("GET", "/v1/adm/jobs?limit=1");
    assert.equal(page1.json.jobs[0].id, r2.json.id);
    const page2 = await svc.call("GET", `/v1/adm/jobs?limit=1&cursor=${page1.json.nextCursor}`);
    assert.equal(page2.json.jobs[0].id, r.json.id);
  });
});

Deno.test("bad requests get one clear JSON error with the right status, and change nothing", async () => {
  await withService(async (svc) => {
    await svc.engine.scripts.create({ name: "ok", source: "Log('x');" });
    const readOnly = (await createApiKey(svc.engine, { name: "ro", scopes: ["jobs:read"] })).key;
    const starter = (await createApiKey(svc.engine, { name: "starter" })).key;
    const faraway =
      (await createApiKey(svc.engine, { name: "lan", allow: ["10.0.0.0/8", "2001:db8::/32"] })).key;
    const cases: [string, Parameters<TestService["call"]>[2], number, string][] = [
      ["no key", { key: null, body: { scriptName: "ok" } }, 401, "UNAUTHORIZED"],
      ["a wrong key", { key: "x".repeat(44), body: { scriptName: "ok" } }, 401, "UNAUTHORIZED"],
      [
        "a caller outside the allow-list",
        { key: faraway, body: { scriptName: "ok" } },
        403,
        "ADDRESS_NOT_ALLOWED",
      ],
      [
        "a key without jobs:start",
        { key: readOnly, body: { scriptName: "ok" } },
        403,
        "MISSING_SCOPE",
      ],
      [
        "filePath without the files scope",
        { key: starter, body: { filePath: "/etc/hostname" } },
        403,
        "MISSING_SCOPE",
      ],
      ["broken JSON", { raw: '{"scriptName": "ok"' }, 400, "MALFORMED_JSON"],
      ["no target", { body: { params: {} } }, 400, "INVALID_REQUEST"],
      [
        "two targets",
        { body: { scriptName: "ok", filePath: "/tmp/x.syncjs" } },
        400,
        "INVALID_REQUEST",
      ],
      ["a wrong type", { body: { scriptName: 42 } }, 400, "INVALID_REQUEST"],
      [
        "params of a wrong type",
        { body: { scriptName: "ok", params: "x" } },
        400,
        "INVALID_REQUEST",
      ],
      [
        "nested params",
        { body: { scriptName: "ok", params: { a: { b: 1 } } } },
        400,
        "INVALID_REQUEST",
      ],
      ["an unknown field", { body: { scriptName: "ok", extra: true } }, 400, "INVALID_REQUEST"],
      ["a body that is not an object", { body: [1, 2] }, 400, "INVALID_REQUEST"],
      ["an unknown script", { body: { scriptName: "nope" } }, 404, "SCRIPT_NOT_FOUND"],
      [
        "an unknown script ID",
        { body: { scriptId: "01xxxxxxxxxxxxxxxxxxxxxxxx" } },
        404,
        "SCRIPT_NOT_FOUND",
      ],
      [
        "a 2 MB body",
        { raw: JSON.stringify({ scriptName: "ok", params: { big: "x".repeat(2_000_000) } }) },
        413,
        "BODY_TOO_LARGE",
      ],
    ];
    for (const [what, opts, status, code] of cases) {
      const r = await svc.call("POST", "/v1/jobs", opts);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.json?.error?.code, code, `${what}: ${r.text}`);
      assert.equal(typeof r.json.error.message, "string");
      assert.ok(r.json.error.message.length > 5);
      await stillServes(svc);
    }
    // A chunked 2 MB body (no Content-Length) is cut off too.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 32; i++) c.enqueue(new TextEncoder().encode("x".repeat(65536)));
        c.close();
      },
    });
    const r = await fetch(svc.url + "/v1/jobs", {
      method: "POST",
      headers: { "X-API-Key": svc.adminKey, "Content-Type": "application/json" },
      body: stream,
      client: svc.client,
    });
    assert.equal(r.status, 413);
    await r.body?.cancel();
    // Nothing was recorded by any of them.
    assert.equal((await svc.engine.jobs.list()).jobs.length, 0);
    // Unknown job and unknown route.
    assert.equal((await svc.call("GET", "/v1/adm/jobs/nope")).json.error.code, "JOB_NOT_FOUND");
    assert.equal((await svc.call("GET", "/v1/nothing")).status, 404);
    // A known address asked with a method it does not take: 405 with the methods it does.
    const wrong = await svc.call("GET", "/v1/jobs");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("Allow"), "POST");
    assert.equal(wrong.json.error.code, "METHOD_NOT_ALLOWED");
    assert.equal(wrong.json.error.message, "/v1/jobs does not take GET: use POST");
    const put = await svc.call("PUT", "/v1/adm/jobs/01ABC/halt");
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("Allow"), "POST");
    assert.equal((await svc.call("POST", "/v1/openapi.json")).headers.get("Allow"), "GET");
    assert.equal((await svc.call("DELETE", "/v1/adm/jobs/x/y")).status, 404);
    await stillServes(svc);
  });
});

Deno.test("a key from a CIDR range, IPv4-mapped addresses, and filePath with the files scope", async () => {
  await withService(async (svc) => {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "f.syncjs");
      await Deno.writeTextFile(file, 'Log.Info("from file " + ScriptName());');
      await svc.engine.settings.set("scriptRoots", [dir]);
      const ranged = (await createApiKey(svc.engine, {
        name: "ranged",
        allow: ["127.0.0.0/8"],
        scopes: ["jobs:start", "jobs:read", "files"],
      })).key;
      const r = await svc.call("POST", "/v1/jobs", { key: ranged, body: { filePath: file } });
      assert.equal(r.status, 201, r.text);
      assert.equal((await waitJob(svc, r.json.id)).status, "succeeded");
      const missing = await svc.call("POST", "/v1/jobs", {
        key: ranged,
        body: { filePath: join(dir, "missing.syncjs") },
      });
      assert.equal(missing.status, 404);
      const relative = await svc.call("POST", "/v1/jobs", {
        key: ranged,
        body: { filePath: "f.syncjs" },
      });
      assert.equal(relative.status, 400);
      // With localRoots set, a file outside them is refused.
      const elsewhere = await Deno.makeTempDir();
      await svc.engine.settings.set("scriptRoots", [dir, elsewhere]);
      await svc.engine.settings.set("localRoots", [elsewhere]);
      const outside = await svc.call("POST", "/v1/jobs", { key: ranged, body: { filePath: file } });
      assert.equal(outside.status, 403);
      assert.equal(outside.json.error.code, "PATH_NOT_ALLOWED");
      await Deno.writeTextFile(join(elsewhere, "ok.syncjs"), "Log('in a root');");
      const inside = await svc.call("POST", "/v1/jobs", {
        key: ranged,
        body: { filePath: join(elsewhere, "ok.syncjs") },
      });
      assert.equal(inside.status, 201, inside.text);
      assert.equal((await waitJob(svc, inside.json.id)).status, "succeeded");
      await Deno.remove(elsewhere, { recursive: true });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("failed authentications from one address are limited with 429", async () => {
  await withService(async (svc) => {
    // A valid key used from outside its allow-list counts as a failure too.
    const { key } = await createApiKey(svc.engine, { name: "remote", allow: ["10.0.0.0/8"] });
    assert.equal((await svc.call("GET", "/v1/adm/jobs", { key })).status, 403);
    for (let i = 0; i < 2; i++) {
      assert.equal((await svc.call("GET", "/v1/adm/jobs", { key: "wrong" })).status, 401);
    }
    const r = await svc.call("GET", "/v1/adm/jobs", { key: "wrong" });
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, "TOO_MANY_FAILURES");
    assert.ok(Number(r.headers.get("Retry-After")) >= 1);
    // The failures are throttled, not the address: the right key still works (issue 12.2).
    assert.equal((await svc.call("GET", "/v1/adm/jobs")).status, 200);
    assert.equal((await svc.call("GET", "/v1/adm/jobs", { key: "wrong" })).status, 429);
    // The lock-out is in the audit log, once; so is a valid key used from outside its
    // allow-list (it may have leaked), once a minute however often it is sent. Unknown keys
    // are not recorded one by one.
    for (let i = 0; i < 5; i++) await svc.call("GET", "/v1/adm/jobs", { key });
    const audit = (await svc.engine.audit.list({ action: "apikey" })).entries;
    const lockouts = audit.filter((e) => e.action === "apikey.lockout");
    assert.equal(lockouts.length, 1, JSON.stringify(audit));
    assert.equal(lockouts[0]!.target, "127.0.0.1");
    assert.equal(lockouts[0]!.outcome, "failed");
    assert.equal((lockouts[0]!.detail as { failures: number }).failures, 3);
    const refused = audit.filter((e) => e.action === "apikey.refused");
    assert.equal(refused.length, 1, JSON.stringify(audit));
    assert.equal(refused[0]!.actorName, "remote");
    assert.equal(refused[0]!.ip, "127.0.0.1");
    assert.ok(!JSON.stringify(audit).includes(key), "the key itself is never written");
    await stillServes(svc);
  }, { limiter: new FailureLimiter(3, 60_000) });
});

Deno.test("halt ends a running job as halted, a queued one at once; SSE streams the log", async () => {
  await withService(async (svc) => {
    await svc.engine.scripts.create({
      name: "waiter",
      source: 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("cleaned up");',
    });
    const r = await svc.call("POST", "/v1/jobs", { body: { scriptName: "waiter" } });
    assert.equal(r.status, 201);
    const id = r.json.id;
    // Follow the live stream while the job runs.
    const sse = await fetch(`${svc.url}/v1/adm/jobs/${id}/log`, {
      headers: { "X-API-Key": svc.adminKey, Accept: "text/event-stream" },
      client: svc.client,
    });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get("Content-Type") ?? "", /text\/event-stream/);
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("waiting")) seen += (await reader.read()).value ?? "";
    const h = await svc.call("POST", `/v1/adm/jobs/${id}/halt`);
    assert.equal(h.status, 202);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assert.match(seen, /event: log\n.*cleaned up/s);
    assert.match(seen, /event: end\ndata: \{"status":"halted"/);
    const job = await waitJob(svc, id);
    assert.equal(job.status, "halted");
    assert.equal((await svc.call("POST", `/v1/adm/jobs/${id}/halt`)).status, 409);

    // A halt that arrives while the job is still being set up is not lost.
    for (let i = 0; i < 3; i++) {
      const quick = await svc.call("POST", "/v1/jobs", { body: { scriptName: "waiter" } });
      await new Promise((r) => setTimeout(r, 30 * i));
      await svc.call("POST", `/v1/adm/jobs/${quick.json.id}/halt`);
      const end = await waitJob(svc, quick.json.id);
      assert.equal(end.status, "halted");
      assert.equal(end.exitCode, end.startedAt ? 0 : null, JSON.stringify(end));
    }

    // With one job at a time, a second job waits queued; halting it ends it at once.
    const first = await svc.call("POST", "/v1/jobs", { body: { scriptName: "waiter" } });
    const second = await svc.call("POST", "/v1/jobs", { body: { scriptName: "waiter" } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await svc.call("GET", `/v1/adm/jobs/${second.json.id}`)).json.status, "queued");
    const hq = await svc.call("POST", `/v1/adm/jobs/${second.json.id}/halt`);
    assert.equal(hq.status, 202);
    assert.equal(hq.json.status, "halted");
    assert.equal(hq.json.startedAt, null);
    await svc.call("POST", `/v1/adm/jobs/${first.json.id}/halt`);
    assert.equal((await waitJob(svc, first.json.id)).status, "halted");
  }, { settings: { haltGraceSeconds: 5, maxConcurrentJobs: 1 } });
});

Deno.test("a live log stream opened with a key ends with a 'closed' event when the key is revoked (curl, HTTP/2 where it has it)", async () => {
  await withService(async (svc) => {
    await svc.engine.scripts.create({
      name: "waiter",
      source: 'Log.Info("waiting"); WaitForHaltSignal();',
    });
    const { key, record } = await svc.engine.apikeys.create({ name: "reader" });
    const r = await svc.call("POST", "/v1/jobs", { key, body: { scriptName: "waiter" } });
    assert.equal(r.status, 201);
    const curl = new Deno.Command("curl", {
      args: [
        "-skN",
        "-H",
        `X-API-Key: ${key}`,
        "-H",
        "Accept: text/event-stream",
        `${svc.url}/v1/adm/jobs/${r.json.id}/log`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = curl.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("waiting")) seen += (await reader.read()).value ?? "";
    const revoked = Date.now();
    assert.equal((await svc.call("DELETE", `/v1/adm/apikeys/${record.id}`)).status, 204);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assert.equal((await curl.status).code, 0);
    assert.ok(Date.now() - revoked < 7_000, `${Date.now() - revoked} ms`);
    assert.match(
      seen,
      /event: closed\ndata: \{"message":"The API key \\"reader\\" no longer gives access to this log"\}\n\n$/,
    );
    assert.equal((await svc.call("GET", `/v1/adm/jobs/${r.json.id}`)).json.status, "running");
    await svc.call("POST", `/v1/adm/jobs/${r.json.id}/halt`);
    assert.equal((await waitJob(svc, r.json.id)).status, "halted");
  }, { settings: { haltGraceSeconds: 5 } });
});

Deno.test("admin routes: scripts, secrets (write-only), API keys, schedules, settings", async () => {
  await withService(async (svc) => {
    const s = await svc.call("POST", "/v1/adm/scripts", { body: { name: "a", source: "Log(1);" } });
    assert.equal(s.status, 201);
    assert.equal(
      (await svc.call("POST", "/v1/adm/scripts", { body: { name: "A", source: "" } })).status,
      409,
    );
    assert.equal((await svc.call("GET", "/v1/adm/scripts/A")).json.source, "Log(1);");
    assert.equal(
      (await svc.call("PUT", `/v1/adm/scripts/${s.json.id}`, { body: { source: "Log(2);" } })).json
        .source,
      "Log(2);",
    );

    assert.equal(
      (await svc.call("PUT", "/v1/adm/secrets/tok", { body: { value: "s3cr3t-value" } })).status,
      204,
    );
    const secrets = await svc.call("GET", "/v1/adm/secrets");
    assert.equal(secrets.json[0].name, "tok");
    assert.doesNotMatch(secrets.text, /s3cr3t-value/);

    const k = await svc.call("POST", "/v1/adm/apikeys", {
      body: { name: "ci", allow: ["192.168.1.0/24"] },
    });
    assert.equal(k.status, 201);
    assert.equal(k.json.key.length, 44);
    const keys = await svc.call("GET", "/v1/adm/apikeys");
    assert.doesNotMatch(keys.text, new RegExp(k.json.key));
    assert.ok(keys.json.some((x: { prefix: string }) => k.json.key.startsWith(x.prefix)));
    assert.equal(
      (await svc.call("POST", "/v1/adm/apikeys", { body: { name: "bad", allow: ["10.0.0.0/33"] } }))
        .status,
      400,
    );

    const sch = await svc.call("POST", "/v1/adm/schedules", {
      body: { name: "nightly", script: "a", cron: "0 2 * * *" },
    });
    assert.equal(sch.status, 201, sch.text);
    assert.ok(new Date(sch.json.nextRunAt) > new Date());
    // Added switched off, as PATCH can switch it: no next run until it is enabled.
    const off = await svc.call("POST", "/v1/adm/schedules", {
      body: { name: "staged", script: "a", cron: "0 3 * * *", enabled: false },
    });
    assert.equal(off.status, 201, off.text);
    assert.equal(off.json.enabled, false);
    assert.equal(off.json.nextRunAt, null);
    const on = await svc.call("PATCH", "/v1/adm/schedules/staged", { body: { enabled: true } });
    assert.ok(new Date(on.json.nextRunAt) > new Date());
    assert.equal((await svc.call("DELETE", "/v1/adm/schedules/staged")).status, 204);
    assert.equal(
      (await svc.call("POST", "/v1/adm/schedules", {
        body: { name: "x", script: "a", cron: "nope" },
      })).json.error.code,
      "INVALID_CRON",
    );

    assert.equal(
      (await svc.call("PATCH", "/v1/adm/settings", { body: { maxConcurrentJobs: 2 } })).json
        .maxConcurrentJobs,
      2,
    );
    assert.equal(
      (await svc.call("PATCH", "/v1/adm/settings", { body: { maxConcurrentJobs: "many" } })).status,
      400,
    );
    assert.equal((await svc.call("PATCH", "/v1/adm/settings", { body: { nope: 1 } })).status, 400);
    // Values of the wrong JSON type are refused (text is for the CLI and the console), and
    // nothing of the request is stored.
    for (
      const body of [
        { maxConcurrentJobs: "3" },
        { allowCliRun: "true" },
        { scriptRoots: '["/tmp"]' },
        { jobTimeoutSeconds: 7.5 },
        { maxConcurrentJobs: 4, allowCliRun: 1 },
      ]
    ) {
      const r = await svc.call("PATCH", "/v1/adm/settings", { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error.message, /^body\.\w+ /, r.json.error.message);
    }
    assert.equal((await svc.engine.settings.get()).maxConcurrentJobs, 2);

    // A jobs-only key may not change configuration.
    const starter = (await createApiKey(svc.engine, { name: "starter" })).key;
    const denied = await svc.call("POST", "/v1/adm/scripts", {
      key: starter,
      body: { name: "b", source: "" },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error.code, "MISSING_SCOPE");
    // The schedule "nightly" runs script "a": removing it is refused unless forced (issue 12.19).
    const inUse = await svc.call("DELETE", "/v1/adm/scripts/a");
    assert.equal(inUse.status, 409);
    assert.equal(inUse.json.error.code, "SCRIPT_IN_USE");
    assert.match(inUse.json.error.message, /"nightly"/);
    assert.equal((await svc.call("DELETE", "/v1/adm/scripts/a?force=true")).status, 204);
    assert.equal((await svc.call("GET", "/v1/adm/schedules/nightly")).status, 404);
  });
});

Deno.test("GET /v1/adm/audit: changes made over REST, by key and address; filters, pages, CSV", async () => {
  await withService(async (svc) => {
    await svc.call("PUT", "/v1/adm/secrets/db", { body: { value: "never-in-the-log" } });
    await svc.call("PATCH", "/v1/adm/settings", { body: { jobRetentionDays: 30 } });
    await svc.call("POST", "/v1/adm/scripts", { body: { name: 'x,"y"', source: "" } });
    const job = await svc.call("POST", "/v1/jobs", { body: { scriptName: 'x,"y"' } });
    assert.equal(job.status, 201);
    const page = await svc.call("GET", "/v1/adm/audit?limit=2");
    assert.equal(page.status, 200);
    assert.deepEqual(page.json.entries.map((e: { action: string }) => e.action), [
      "job.start",
      "script.create",
    ]);
    const e = page.json.entries[0];
    assert.deepEqual([e.actorKind, e.actorName, e.ip], ["apikey", "test-admin", "127.0.0.1"]);
    const next = await svc.call("GET", `/v1/adm/audit?limit=2&cursor=${page.json.nextCursor}`);
    assert.deepEqual(next.json.entries.map((e: { action: string }) => e.action), [
      "settings.update",
      "secret.set",
    ]);
    assert.deepEqual(next.json.entries[0].detail, { changes: { jobRetentionDays: 30 } });
    const settings = await svc.call("GET", "/v1/adm/audit?action=settings&actor=TEST-ADMIN");
    assert.equal(settings.json.entries.length, 1);
    assert.equal((await svc.call("GET", "/v1/adm/audit?from=2999-01-01")).json.entries.length, 0);
    assert.equal((await svc.call("GET", "/v1/adm/audit?from=soon")).status, 400);
    assert.equal((await svc.call("GET", "/v1/adm/audit?cursor=nope")).status, 400);
    const csv = await svc.call("GET", "/v1/adm/audit", { headers: { Accept: "text/csv" } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("Content-Type") ?? "", /^text\/csv/);
    assert.match(csv.headers.get("Content-Disposition") ?? "", /attachment/);
    const lines = csv.text.trimEnd().split("\r\n");
    assert.equal(lines[0], "time,actor_kind,actor,address,action,target,outcome,detail");
    assert.equal(lines.length, 6); // and the test key, made through the CLI's engine
    assert.match(lines[2]!, /,script\.create,"x,""y""",ok,/);
    assert.doesNotMatch(csv.text, /never-in-the-log/);
    const badCsv = await svc.call("GET", "/v1/adm/audit?to=x", { headers: { Accept: "text/csv" } });
    assert.equal(badCsv.status, 400);
    // Reading the log is an admin's: a jobs key is refused.
    const starter = (await createApiKey(svc.engine, { name: "starter" })).key;
    assert.equal((await svc.call("GET", "/v1/adm/audit", { key: starter })).status, 403);
  });
});

Deno.test("OpenAPI 3.1 describes every route; health and metrics answer", async () => {
  await withService(async (svc) => {
    const doc = (await svc.call("GET", "/v1/openapi.json", { key: null })).json;
    assert.equal(doc.openapi, "3.1.0");
    // The server is the one that served the document (this test's port is not the default).
    assert.equal(doc.servers[0].url, "/");
    for (
      const [path, method] of [
        ["/v1/jobs", "post"],
        ["/v1/adm/jobs/{id}", "get"],
        ["/v1/adm/jobs", "get"],
        ["/v1/adm/jobs/{id}/log", "get"],
        ["/v1/adm/jobs/{id}/halt", "post"],
        ["/v1/adm/scripts", "post"],
        ["/v1/adm/vfs", "post"],
        ["/v1/adm/secrets/{name}", "put"],
        ["/v1/adm/apikeys", "post"],
        ["/v1/adm/schedules", "post"],
        ["/v1/adm/settings", "patch"],
        ["/v1/health", "get"],
        ["/metrics", "get"],
      ]
    ) {
      assert.ok(doc.paths[path!]?.[method!], `${method} ${path} is described`);
    }
    const post = doc.paths["/v1/jobs"].post;
    assert.deepEqual(
      Object.keys(post.requestBody.content["application/json"].schema.properties).sort(),
      ["filePath", "params", "scriptId", "scriptName"],
    );
    assert.ok(post.responses["401"] && post.responses["413"]);

    const h = await svc.call("GET", "/v1/health", { key: null });
    assert.equal(h.json.status, "ok");
    assert.match(h.json.version, /^\d+\.\d+\.\d+/);
    const m = await svc.call("GET", "/metrics", { key: null });
    assert.equal(m.status, 200);
    assert.match(m.text, /^aft_jobs\{status="queued"\} 0$/m);
    assert.match(m.text, /^aft_queue_depth 0$/m);
    assert.match(m.text, /# TYPE aft_job_duration_seconds histogram/);
  });
});

Deno.test("names with control characters or bidi overrides, and a garbage cursor, get 400", async () => {
  await withService(async (svc) => {
    const names = ["a\u001b[2Jb", "nul\u0000", "rtl\u202eevil", "iso\u2067x", "bell\u0007"];
    for (const name of names) {
      const posts: [string, unknown][] = [
        ["/v1/adm/scripts", { name, source: "" }],
        ["/v1/adm/vfs", { name, type: "disk", target: svc.dataDir }],
        ["/v1/adm/apikeys", { name }],
        ["/v1/adm/schedules", { name, script: "x", cron: "0 2 * * *" }],
      ];
      for (const [path, body] of posts) {
        const r = await svc.call("POST", path, { body });
        assert.equal(r.status, 400, `${path} ${JSON.stringify(name)}: ${r.text}`);
        assert.equal(r.json.error.code, "INVALID_NAME");
      }
      const s = await svc.call("PUT", `/v1/adm/secrets/${encodeURIComponent(name)}`, {
        body: { value: "v" },
      });
      assert.equal(s.status, 400, s.text);
    }
    assert.equal((await svc.call("GET", "/v1/adm/scripts")).json.length, 0);
    assert.equal((await svc.call("GET", "/v1/adm/secrets")).json.length, 0);
    for (const cursor of ["garbage", "%27%20OR%201%3D1", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"]) {
      const r = await svc.call("GET", `/v1/adm/jobs?cursor=${cursor}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "INVALID_CURSOR");
    }
  });
});

Deno.test("filePath runs only scripts from scriptRoots: hostile paths are refused, no job made", async () => {
  await withService(async (svc) => {
    const files = (await createApiKey(svc.engine, {
      name: "files",
      scopes: ["jobs:start", "jobs:read", "files"],
    })).key;
    const off = await svc.call("POST", "/v1/jobs", {
      key: files,
      body: { filePath: "/etc/shadow" },
    });
    assert.equal(off.status, 403);
    assert.equal(off.json.error.code, "FILE_JOBS_OFF");
    assert.match(off.json.error.message, /aft settings set scriptRoots/);
    const root = await Deno.makeTempDir();
    try {
      await svc.engine.settings.set("scriptRoots", [root, svc.dataDir]);
      await Deno.symlink("/etc/passwd", join(root, "passwd.syncjs"));
      // Links to missing files outside, and a loop: refused as a link to an existing file is,
      // so "not found" never tells a caller what exists outside the folders.
      await Deno.symlink("/etc/no-such-aft-file.syncjs", join(root, "gone.syncjs"));
      await Deno.symlink(join(root, "b.syncjs"), join(root, "a.syncjs"));
      await Deno.symlink(join(root, "a.syncjs"), join(root, "b.syncjs"));
      for (
        const p of [
          "/etc/shadow",
          "/proc/self/environ",
          join(svc.dataDir, "service.token"),
          join(svc.dataDir, "aft.db"),
          `${root}/../../etc/passwd`,
          join(root, "passwd.syncjs"),
          join(root, "gone.syncjs"),
          join(root, "a.syncjs"),
        ]
      ) {
        const r = await svc.call("POST", "/v1/jobs", { key: files, body: { filePath: p } });
        assert.equal(r.status, 403, `${p}: ${r.text}`);
        assert.equal(r.json.error.code, "PATH_NOT_ALLOWED");
        assert.doesNotMatch(r.text, /root:/);
      }
      // A missing file inside the folder is just not there.
      const missing = await svc.call("POST", "/v1/jobs", {
        key: files,
        body: { filePath: join(root, "later.syncjs") },
      });
      assert.equal(missing.json.error?.code, "FILE_NOT_FOUND", missing.text);
      assert.equal((await svc.call("GET", "/v1/adm/jobs")).json.jobs.length, 0);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});

Deno.test("POST /v1/jobs on a full disk answers 507 STORAGE_FULL, and the service goes on", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "aft-api-full-" });
  const path = join(dataDir, "aft.db");
  const setup = new SqliteStore(path);
  await setup.migrate();
  await setup.close();
  const pages = Math.ceil((await Deno.stat(path)).size / 4096);
  // SQLite's max_page_count fails writes with SQLITE_FULL, as a full disk does.
  await withService(async (svc) => {
    await svc.engine.scripts.create({ name: "ok", source: "Log('x');" });
    const r = await svc.call("POST", "/v1/jobs", {
      body: { scriptName: "ok", params: { big: "x".repeat(500_000) } },
    });
    assert.equal(r.status, 507, r.text);
    assert.equal(r.json.error.code, "STORAGE_FULL");
    assert.match(r.json.error.message, /service's disk is full/);
    await stillServes(svc);
    assert.equal((await svc.call("GET", "/v1/adm/jobs")).json.jobs.length, 0);
  }, { dataDir, store: new SqliteStore(path, { maxPageCount: pages + 12 }) });
});

Deno.test("POST and PUT /v1/adm/scripts take a script of exactly MAX_STORED_SCRIPT_BYTES however JSON escapes it; one byte over is 400 with its size; past any escaping 413 says to run it from a file; other routes keep 1 MiB", async () => {
  await withService(async (svc) => {
    const max = MAX_STORED_SCRIPT_BYTES;
    const atLimit = "//" + "x".repeat(max - 2);
    // JSON.stringify writes a control character as \u0001: six bytes of body for one of script.
    const escaped = "//" + "\u0001".repeat(max - 2);
    const post = await svc.call("POST", "/v1/adm/scripts", {
      body: { name: "at", source: atLimit },
    });
    assert.equal(post.status, 201, post.text);
    const esc = await svc.call("POST", "/v1/adm/scripts", {
      body: { name: "esc", source: escaped },
    });
    assert.equal(esc.status, 201, esc.text);
    assert.equal((await svc.engine.scripts.get("esc")).source, escaped);
    const put = await svc.call("PUT", "/v1/adm/scripts/at", { body: { source: escaped } });
    assert.equal(put.status, 200, put.text);
    // The name escapes too: 100 emoji written as escapes are 1,200 bytes of JSON.
    const emojiName = "\u{1F600}".repeat(100);
    const named = await svc.call("POST", "/v1/adm/scripts", {
      raw: JSON.stringify({ name: emojiName, source: escaped }).replace(
        /[\u{10000}-\u{10FFFF}]/gu,
        (c) =>
          [...Array(c.length).keys()].map((i) =>
            `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`
          ).join(""),
      ),
    });
    assert.equal(named.status, 201, named.text);

    const refusal =
      /1,048,577 bytes, and a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/;
    for (
      const [what, method, path, body] of [
        ["POST one byte over", "POST", "/v1/adm/scripts", { name: "over", source: atLimit + "x" }],
        ["PUT one byte over", "PUT", "/v1/adm/scripts/at", { source: atLimit + "x" }],
        ["POST escaped one over", "POST", "/v1/adm/scripts", {
          name: "over",
          source: escaped + "\u0001",
        }],
      ] as const
    ) {
      const r = await svc.call(method, path, { body });
      assert.equal(r.status, 400, `${what}: ${r.text}`);
      assert.equal(r.json.error.code, "INVALID_REQUEST", what);
      assert.match(r.json.error.message, refusal, what);
    }
    // More than any stored script's JSON can be: 413 as it arrives, saying what to do.
    const huge = await svc.call("POST", "/v1/adm/scripts", {
      body: { name: "huge", source: "x".repeat(7 * 1048576) },
    });
    assert.equal(huge.status, 413, huge.text);
    assert.equal(huge.json.error.code, "BODY_TOO_LARGE");
    assert.match(
      huge.json.error.message,
      /a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/,
    );
    // The other routes keep their 1 MiB.
    for (
      const [method, path] of [
        ["POST", "/v1/jobs"],
        ["POST", "/v1/adm/secrets"],
        ["POST", "/v1/adm/vfs"],
        ["DELETE", "/v1/adm/scripts/at"],
      ] as const
    ) {
      const r = await svc.call(method, path, { raw: JSON.stringify({ x: "x".repeat(1048576) }) });
      assert.equal(r.status, 413, `${method} ${path}: ${r.text}`);
      assert.equal(r.json.error.message, "The request body is over 1 MiB");
    }
    assert.deepEqual((await svc.engine.scripts.list()).map((s) => s.name).sort(), [
      "at",
      "esc",
      emojiName,
    ]);
    assert.equal((await svc.engine.scripts.get("at")).source, escaped);
    await stillServes(svc);
  });
});
