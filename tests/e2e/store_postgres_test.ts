/**
 * Choosing the store from the command line, end to end with the real CLI: `$AFT_STORE`,
 * `config.json` in the data directory and `aft serve --store` reach a throw-away PostgreSQL
 * server; without them the data directory's SQLite file is used. `aft serve` on PostgreSQL runs
 * a job submitted with `aft start`, and never prints the store's password. With `AFT_BIN` (the
 * binary job in CI) this shows that the PostgreSQL client works inside a `deno compile` binary.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft } from "./_cli.ts";
import { startService, stopClean } from "./_service.ts";
import { startPostgres } from "../fixtures/postgres.ts";

const EXAMPLE = new URL("../../examples/hello.syncjs", import.meta.url).pathname;

if (Deno.build.os !== "linux") {
  Deno.test({ name: "store choice on PostgreSQL (runs on Linux)", ignore: true, fn() {} });
} else {
  const pg = await startPostgres();
  globalThis.addEventListener("unload", () => {
    pg.stop();
  });

  const withData = async (fn: (data: string, env: Record<string, string>) => Promise<void>) => {
    const dir = await Deno.makeTempDir({ prefix: "aft-store-cli-" });
    const data = join(dir, "data");
    await Deno.mkdir(data, { mode: 0o700 });
    try {
      await fn(data, { AFT_CONFIG_DIR: join(dir, "config"), AFT_STORE: "" });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  const names = async (data: string, env: Record<string, string>) => {
    const r = await runAft(["script", "list", "--json"], { data, env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name);
  };
  const writeConfig = async (data: string, store: string, mode = 0o600) => {
    const file = join(data, "config.json");
    await Deno.writeTextFile(file, JSON.stringify({ store }), { mode });
    await Deno.chmod(file, mode);
  };

  Deno.test("aft commands use $AFT_STORE, else config.json's store, else DATA/aft.db", async () => {
    const url = await pg.createDatabase();
    await withData(async (data, env) => {
      const add = await runAft(["script", "add", "Hello", "-f", EXAMPLE], {
        data,
        env: { ...env, AFT_STORE: url },
      });
      assert.equal(add.code, 0, add.stderr);
      assert.deepEqual(await names(data, { ...env, AFT_STORE: url }), ["Hello"]);
      assert.deepEqual(await names(data, env), [], "without a choice: the SQLite file");
      await writeConfig(data, url);
      assert.deepEqual(await names(data, env), ["Hello"]);
      await writeConfig(data, url, 0o644);
      const refused = await runAft(["script", "list"], { data, env });
      assert.equal(refused.code, 2, "a bad value: exit code 2");
      assert.match(refused.stderr, /holds a store password but others may read it/);
      assert.ok(!(refused.stdout + refused.stderr).includes(pg.password));
    });
  });

  Deno.test("aft serve --store on PostgreSQL runs a job from aft start, and prints no password", async () => {
    const url = await pg.createDatabase();
    await withData(async (data, env) => {
      const pgEnv = { ...env, AFT_STORE: url };
      assert.equal(
        (await runAft(["script", "add", "Hello", "-f", EXAMPLE], { data, env: pgEnv })).code,
        0,
      );
      const key = await runAft(["apikey", "create", "ci"], { data, env: pgEnv });
      assert.equal(key.code, 0, key.stderr);
      const svc = await startService(data, { env, args: ["--store", url] });
      try {
        // The store's line comes after the setup check, a query of its own, so it may follow
        // "serving" by a moment: wait for it (10 s at most) rather than read the log once.
        const storeLine = /store postgres postgres:\/\/aft:\*\*\*@127\.0\.0\.1:\d+\/aft_/;
        for (let i = 0; i < 200 && !storeLine.test(svc.log()); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.match(svc.log(), storeLine);
        const run = await runAft(
          ["start", "-n", "hello", "-a", key.stdout.trim(), "--host", svc.host, "--wait"],
          { data, env },
        );
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /Hello, there! This is job [0-9a-z]{26}/);
        const jobs = await runAft(["jobs", "list", "--json"], { data, env: pgEnv });
        const [job] = JSON.parse(jobs.stdout);
        assert.deepEqual([job.status, job.scriptName], ["succeeded", "Hello"]);
      } finally {
        await stopClean(svc);
      }
      assert.ok(!svc.log().includes(pg.password), "the service log holds no password");
    });
  });

  Deno.test("aft serve --store with a bad URL or a wrong password says so, without the password", async () => {
    await withData(async (data, env) => {
      const wrong = `postgres://aft:not-it-${crypto.randomUUID()}@127.0.0.1:${pg.port}/postgres`;
      for (
        const [store, code, re] of [
          [
            wrong,
            3, // the store cannot be reached or refused the login, as a service that cannot
            /Cannot use the store postgres:\/\/aft:\*\*\*@.*password authentication failed/,
          ],
          [
            "postgres://aft:p@ss word@h:99999/d",
            2,
            /Bad PostgreSQL URL "postgres:\/\/aft:\*\*\*@h:99999\/d": not a URL/,
          ],
        ] as const
      ) {
        const r = await runAft(["serve", "--store", store, "--listen", "127.0.0.1:0"], {
          data,
          env,
        });
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, re);
        assert.ok(!r.stderr.includes("not-it-") && !r.stderr.includes("ss word"), r.stderr);
      }
    });
  });
}
