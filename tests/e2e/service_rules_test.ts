/**
 * `aft serve` and its clients, for rules a whole process shows: `aft start` finds the service
 * of its data directory without --host; failed sign-ins from an address do not lock out valid
 * keys, `aft run`'s local channel or /metrics; `aft start -f` runs only published scripts; every
 * file of the data directory is private.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { startService } from "./_service.ts";

async function withService(
  fn: (ctx: { data: string; dir: string; env: Record<string, string>; port: number }) => Promise<
    void
  >,
) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-svc-" });
  const env = { AFT_CONFIG_DIR: join(dir, "config") };
  const f = join(dir, "hello.syncjs");
  await Deno.writeTextFile(f, 'Log.Info("hello " + Param("who"));');
  assert.equal((await runAft(["script", "add", "hello", "-f", f], { data })).code, 0);
  const svc = await startService(data, { env });
  try {
    await fn({ data, dir, env, port: svc.port });
  } finally {
    await svc.stop();
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("aft start without --host calls the service recorded in the data directory", async () => {
  await withService(async ({ data, env, port }) => {
    assert.notEqual(port, 44399);
    const key = (await runAft(["apikey", "create", "ci"], { data })).stdout.trim();
    const r = await runAft(["start", "-n", "hello", "-a", key, "-p", '{"who":"x"}', "--wait"], {
      data,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello x/);
  });
});

Deno.test("failed sign-ins are throttled, not the address: valid keys, aft run and /metrics go on", async () => {
  await withService(async ({ data, dir, env, port }) => {
    const key = (await runAft(["apikey", "create", "ci"], { data })).stdout.trim();
    const client = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(join(data, "tls", "ca.pem"))],
    });
    try {
      const base = `https://127.0.0.1:${port}`;
      const statuses = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${base}/v1/adm/jobs`, {
          headers: { "X-API-Key": "stale-key-from-an-old-cron-entry" },
          client,
        });
        await res.body?.cancel();
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
      const start = await runAft(["start", "-n", "hello", "-a", key, "--wait"], { data, env });
      assert.equal(start.code, 0, start.stderr);
      await runAft(["settings", "set", "allowCliRun", "true"], { data });
      const f = join(dir, "run.syncjs");
      await Deno.writeTextFile(f, 'Log.Info("delegated");');
      const run = await runAft(["run", "-f", f], { data, env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /running as job/);
      const metrics = await fetch(`${base}/metrics`, { client });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /aft_jobs\{status="succeeded"\} 2/);
      const still = await fetch(`${base}/v1/adm/jobs`, { headers: { "X-API-Key": "x" }, client });
      await still.body?.cancel();
      assert.equal(still.status, 429);
      assert.ok(Number(still.headers.get("Retry-After")) >= 1);
    } finally {
      client.close();
    }
  });
});

Deno.test("aft start -f runs only scripts from the folders of scriptRoots", async () => {
  await withService(async ({ data, dir, env }) => {
    const key =
      (await runAft(["apikey", "create", "files", "--scope", "jobs:start,jobs:read,files"], {
        data,
      })).stdout.trim();
    const f = join(dir, "from-file.syncjs");
    await Deno.writeTextFile(f, 'Log.Info("ran from a file");');
    const off = await runAft(["start", "-f", f, "-a", key], { data, env });
    assert.equal(off.code, 4, off.stderr);
    assert.match(off.stderr, /aft settings set scriptRoots/);
    const shadow = await runAft(["start", "-f", "/etc/shadow", "-a", key], { data, env });
    assert.equal(shadow.code, 4);
    assert.equal(
      (await runAft(["settings", "set", "scriptRoots", JSON.stringify([dir])], { data })).code,
      0,
    );
    const ok = await runAft(["start", "-f", f, "-a", key, "--wait"], { data, env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ran from a file/);
    const outside = await runAft(["start", "-f", join(data, "service.token"), "-a", key], {
      data,
      env,
    });
    assert.equal(outside.code, 3, outside.stderr); // forbidden
    assert.match(outside.stderr, /not a script file/);
  });
});

Deno.test({
  name: "every file of a serving data directory is private",
  ignore: Deno.build.os === "windows",
}, async () => {
  await withService(async ({ data }) => {
    await runAft(["secret", "set", "tok", "v"], { data });
    const walk = async (d: string): Promise<void> => {
      for await (const e of Deno.readDir(d)) {
        const p = join(d, e.name);
        const mode = (await Deno.lstat(p)).mode! & 0o777;
        if (e.isDirectory) {
          assert.equal(mode, 0o700, p);
          await walk(p);
        } else assert.equal(mode, 0o600, p);
      }
    };
    await walk(data);
    assert.equal((await Deno.stat(data)).mode! & 0o777, 0o700);
  });
});
