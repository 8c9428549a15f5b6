/**
 * The CLI's rules end to end: names it refuses, stored text it never prints raw, exit codes
 * by kind of error (5 for not found), a script in use by a schedule, the data directory's
 * permissions.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { aftCommand, runAft, tempDataDir } from "./_cli.ts";

async function withData(fn: (data: string, dir: string) => Promise<void>) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-cli-" });
  try {
    await fn(data, dir);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

const ESC = "\u001b";

Deno.test("names with control characters or bidi overrides are refused with exit 2", async () => {
  await withData(async (data, dir) => {
    const f = join(dir, "s.syncjs");
    await Deno.writeTextFile(f, "Log(1);");
    for (const name of [`red${ESC}[31m`, "rtl\u202eevil", "bell\u0007"]) {
      const r = await runAft(["script", "add", name, "-f", f], { data });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /control characters or bidirectional overrides/);
      assert.ok(!r.stderr.includes(ESC) && !r.stderr.includes("\u202e"), r.stderr);
      const s = await runAft(["secret", "set", name, "value"], { data });
      assert.equal(s.code, 2, s.stderr);
    }
    assert.match((await runAft(["script", "list"], { data })).stdout, /no stored scripts/);
  });
});

Deno.test("stored text with control characters is printed escaped, never raw", async () => {
  await withData(async (data) => {
    // Rows as an older aft (which took any name) left them.
    const store = new SqliteStore(join(data, "aft.db"));
    await store.migrate();
    await store.scripts.create({ name: `evil${ESC}[2J`, source: `Log(1);${ESC}]0;title\u0007` });
    const job = await store.jobs.create({
      scriptId: null,
      scriptName: `job${ESC}[31m`,
      filePath: null,
      params: {},
      trigger: "api",
    });
    await store.jobs.appendLogs([{
      jobId: job.id,
      seq: 1,
      ts: new Date().toISOString(),
      level: "info",
      text: `line one${ESC}[1A\nline two\u202e`,
    }]);
    await store.close();
    for (
      const args of [
        ["script", "list"],
        ["script", "show", `evil${ESC}[2J`],
        ["jobs", "list"],
        ["jobs", "show", job.id],
        ["jobs", "log", job.id],
      ]
    ) {
      const r = await runAft(args, { data });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(!r.stdout.includes(ESC) && !r.stdout.includes("\u202e"), `${args[0]} ${args[1]}`);
      assert.match(r.stdout, /\\u001b/, `${args[0]} ${args[1]}`);
    }
    // Lines of a log stay lines.
    assert.match(
      (await runAft(["jobs", "log", job.id], { data })).stdout,
      /line one.*\n {31}line two/,
    );
  });
});

Deno.test("a failed job's error is printed escaped by aft run, never raw (it may quote a server)", async () => {
  await withData(async (data, dir) => {
    assert.equal((await runAft(["settings", "set", "allowCliRun", "true"], { data })).code, 0);
    const f = join(dir, "fails.syncjs");
    // An error carrying a clear-screen and a title change, as a hostile server's reply could.
    await Deno.writeTextFile(
      f,
      'throw new Error("refused \\u001b[2J\\u001b]0;pwned\\u0007 here");',
    );
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.stderr.includes(ESC) && !r.stdout.includes(ESC), r.stderr);
    assert.match(
      r.stderr,
      /aft: job \w+ failed: Uncaught Error: refused \\u001b\[2J\\u001b\]0;pwned\\u0007 here/,
    );
  });
});

Deno.test("aft run of a file too large to be a script says so at once (exit 2), before reading it", async () => {
  await withData(async (data, dir) => {
    const f = join(dir, "backup.syncjs");
    const file = await Deno.open(f, { write: true, create: true });
    await file.truncate(300 * 1048576); // sparse: 300 MiB that take no room
    file.close();
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /Cannot read script file ".*backup\.syncjs": the file is 300\.0 MiB, and a script file may be at most 16 MiB/,
    );
  });
});

Deno.test("not found exits 5; other failures keep their codes", async () => {
  await withData(async (data) => {
    for (
      const args of [
        ["script", "show", "nope"],
        ["script", "rm", "nope"],
        ["jobs", "show", "nope"],
        ["jobs", "log", "nope"],
        ["vfs", "show", "nope"],
        ["vfs", "rm", "nope"],
        ["secret", "rm", "nope"],
        ["apikey", "rm", "nope"],
        ["schedule", "rm", "nope"],
      ]
    ) {
      const r = await runAft(args, { data });
      assert.equal(r.code, 5, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^aft: No /, args.join(" "));
    }
    assert.equal((await runAft(["settings", "set", "maxConcurrentJobs", "x"], { data })).code, 2);
  });
});

Deno.test("aft script rm refuses a script a schedule runs, naming it, unless --force", async () => {
  await withData(async (data, dir) => {
    const f = join(dir, "s.syncjs");
    await Deno.writeTextFile(f, "Log(1);");
    assert.equal((await runAft(["script", "add", "Nightly", "-f", f], { data })).code, 0);
    const add = await runAft(
      ["schedule", "add", "at-two", "--script", "nightly", "--cron", "0 2 * * *"],
      { data },
    );
    assert.equal(add.code, 0, add.stderr);
    const refused = await runAft(["script", "rm", "Nightly"], { data });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /run by the schedule "at-two"/);
    assert.match((await runAft(["script", "list"], { data })).stdout, /Nightly/);
    const forced = await runAft(["script", "rm", "Nightly", "--force"], { data });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /removed script "Nightly" and the schedule "at-two"/);
    assert.match((await runAft(["schedule", "list"], { data })).stdout, /no schedules/);
  });
});

Deno.test({
  name: "a data directory others may write to or list is made private, with a line saying so",
  ignore: Deno.build.os === "windows",
}, async () => {
  await withData(async (data) => {
    await Deno.chmod(data, 0o777);
    const r = await runAft(["script", "list"], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /was writable by other users \(mode 0777\): made it private \(0700\)/);
    assert.equal((await Deno.stat(data)).mode! & 0o777, 0o700);
    for await (const f of Deno.readDir(data)) {
      assert.equal((await Deno.stat(join(data, f.name))).mode! & 0o777, 0o600, f.name);
    }
    // Said once: the second run finds it private.
    assert.doesNotMatch((await runAft(["script", "list"], { data })).stderr, /writable/);
    // One others may only list (a folder made with the usual umask) is made private too.
    await Deno.chmod(data, 0o755);
    const listed = await runAft(["script", "list"], { data });
    assert.match(
      listed.stderr,
      /was readable by other users \(mode 0755\): made it private \(0700\)/,
    );
    assert.equal((await Deno.stat(data)).mode! & 0o777, 0o700);
  });
});

Deno.test("output to a reader that goes away (aft audit --csv | head -1) ends quietly, as SIGPIPE would", async () => {
  await withData(async (data) => {
    for (let i = 0; i < 40; i++) {
      assert.equal((await runAft(["secret", "set", `s${i}`, "v"], { data })).code, 0);
    }
    const aft = aftCommand();
    const child = new Deno.Command(aft[0]!, {
      args: [...aft.slice(1), "--data", data, "audit", "--csv"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Read nothing and close the pipe, as `head` does once it has its line.
    const errText = new Response(child.stderr).text();
    await child.stdout.cancel();
    const { code } = await child.status;
    assert.equal(await errText, "");
    assert.equal(code, 141);
  });
});
