/**
 * `aft run` end to end: the real CLI in a subprocess, the real runner process and Worker.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

async function withData(fn: (data: string, dir: string) => Promise<void>, allow = true) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-run-" });
  try {
    if (allow) {
      const r = await runAft(["settings", "set", "allowCliRun", "true"], { data });
      assert.equal(r.code, 0, r.stderr);
    }
    await fn(data, dir);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

async function script(dir: string, source: string, name = "s.syncjs"): Promise<string> {
  const p = join(dir, name);
  await Deno.writeTextFile(p, source);
  return p;
}

Deno.test("aft run is refused with exit 4 while allowCliRun is off", async () => {
  await withData(async (data, dir) => {
    const f = await script(dir, 'Log.Info("should not run");');
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /allowCliRun/);
    assert.doesNotMatch(r.stdout, /should not run/);
  }, false);
});

Deno.test("aft run exits 0 and prints the log when the script succeeds", async () => {
  await withData(async (data, dir) => {
    const f = await script(
      dir,
      'Log.Info("k is " + Params("k") + ", K via Param is " + Param("k") + ", missing is [" + Params("nope") + "]");\n' +
        'Log.Warn("job " + JobID() + " runs " + ScriptName());\nLog("plain");\nconsole.log("from console");',
    );
    const r = await runAft(["run", "-f", f, "-p", '{"k":"v"}'], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /INFO +k is v, K via Param is v, missing is \[\]/);
    assert.match(r.stdout, /WARN +job \w+ runs s\.syncjs/);
    assert.match(r.stdout, /INFO +plain/);
    assert.match(r.stdout, /INFO +from console/);
  });
});

Deno.test("aft run accepts v3-style array params and non-string values as JSON text", async () => {
  await withData(async (data, dir) => {
    const f = await script(
      dir,
      'Log.Info(Params("job_id") + "|" + Params("n") + "|" + Params("o"));',
    );
    let r = await runAft(["run", "-f", f, "-p", '[{"name":"job_id","value":"abc-123"}]'], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /abc-123\|\|/);
    r = await runAft(["run", "-f", f, "-p", '{"n":5,"o":{"a":true}}'], { data });
    assert.match(r.stdout, /\|5\|\{"a":true\}/);
  });
});

Deno.test("aft run exits 2 on bad --params JSON or a missing file", async () => {
  await withData(async (data, dir) => {
    const f = await script(dir, 'Log.Info("x");');
    let r = await runAft(["run", "-f", f, "-p", "{bad"], { data });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--params/);
    r = await runAft(["run", "-f", join(dir, "missing.syncjs")], { data });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot read script file .*missing\.syncjs/);
  });
});

Deno.test("aft run exits 1 on Exit(n≠0), an uncaught error, and a syntax error", async (t) => {
  await withData(async (data, dir) => {
    await t.step("Exit(3)", async () => {
      const f = await script(dir, 'Log.Info("before"); Exit(3); Log.Info("after");');
      const r = await runAft(["run", "-f", f], { data });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /before/);
      assert.doesNotMatch(r.stdout, /after/);
      assert.match(r.stdout + r.stderr, /exited with code 3/);
    });
    await t.step("Exit(0) ends the script with success", async () => {
      const f = await script(dir, 'Log.Info("before"); Exit(0); Log.Info("after");');
      const r = await runAft(["run", "-f", f], { data });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /after/);
    });
    await t.step("uncaught error, with the script's line in the output", async () => {
      const f = await script(dir, 'Log.Info("one");\nvar x = null;\nx.boom();\n', "boom.syncjs");
      const r = await runAft(["run", "-f", f], { data });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /ERROR +Uncaught TypeError: Cannot read properties of null/);
      assert.match(r.stdout, /boom\.syncjs:3/);
    });
    await t.step("syntax error", async () => {
      const f = await script(dir, "var = ;");
      const r = await runAft(["run", "-f", f], { data });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /SyntaxError/);
    });
  });
});

Deno.test("Exit() ends the script even inside try/catch/finally", async () => {
  await withData(async (data, dir) => {
    const f = await script(
      dir,
      'try { Exit(5); } catch (e) { Log.Info("caught " + e); } finally { Log.Info("finally ran"); }\nLog.Info("after");',
    );
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /caught|finally ran|after/);
    assert.match(r.stdout + r.stderr, /exited with code 5/);
  });
});

Deno.test("Sleep() blocks for the time asked and returns true", async () => {
  await withData(async (data, dir) => {
    const f = await script(
      dir,
      'var t0 = Date.now(); var r = Sleep(300); var dt = Date.now() - t0;\nLog.Info("slept " + r + " " + (dt >= 290 && dt < 2000));\nLog.Info("halt " + HaltSignalReceived);',
    );
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slept true true/);
    assert.match(r.stdout, /halt false/);
  });
});
