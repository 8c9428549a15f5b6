/**
 * `aft run` end to end: the real CLI in a subprocess, the real runner process and Worker.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, spawnRun, tempDataDir } from "./_cli.ts";
import { startService } from "./_service.ts";

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

Deno.test("aft run accepts v3-style array params, numbers and booleans as text, null as not set; refuses objects", async () => {
  await withData(async (data, dir) => {
    const f = await script(
      dir,
      'Log.Info(Params("job_id") + "|" + Params("n") + "|" + Params("o"));',
    );
    let r = await runAft(["run", "-f", f, "-p", '[{"name":"job_id","value":"abc-123"}]'], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /abc-123\|\|/);
    r = await runAft(["run", "-f", f, "-p", '{"n":5,"o":true,"job_id":null}'], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / \|5\|true/);
    // An object as a value: refused, as the REST API refuses it.
    r = await runAft(["run", "-f", f, "-p", '{"n":5,"o":{"a":true}}'], { data });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Parameter "o" must be a string, number or boolean, not an object/);
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
    await t.step("a promise rejected and left unhandled: aft's lines only", async () => {
      const f = await script(dir, 'Promise.reject(new Error("boom"));', "ua.syncjs");
      const r = await runAft(["run", "-f", f], { data });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /ERROR +Uncaught \(in promise\) Error: boom/);
      assert.match(r.stderr, /^aft: job \S+ failed: Uncaught \(in promise\) Error: boom\n$/);
      const timer = await script(
        dir,
        'setTimeout(function () { throw new Error("tick"); }, 5); Sleep(200);',
        "tm.syncjs",
      );
      const t = await runAft(["run", "-f", timer], { data });
      assert.equal(t.code, 1);
      assert.match(t.stderr, /^aft: job \S+ failed: Uncaught Error: tick\n$/);
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

async function jobList(data: string): Promise<{ id: string; status: string; error: string }[]> {
  const r = await runAft(["jobs", "list", "--json"], { data });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test({
  name: "SIGTERM to aft run halts the script like Ctrl-C, and the job ends halted",
  ignore: Deno.build.os === "windows",
}, async () => {
  await withData(async (data, dir) => {
    const f = await script(dir, 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("bye");');
    const run = spawnRun(data, f);
    await run.until(/waiting/);
    const code = await run.signal("SIGTERM");
    assert.equal(code, 0, run.out);
    assert.match(run.out, /halting the script/);
    assert.match(run.out, /bye/);
    const [job] = await jobList(data);
    assert.equal(job!.status, "halted");
  });
});

Deno.test({
  name: "jobs of a killed aft run are failed at the next start; a live one's job is left alone",
  ignore: Deno.build.os === "windows",
}, async () => {
  await withData(async (data, dir) => {
    const wait = await script(dir, 'Log.Info("waiting"); WaitForHaltSignal();', "wait.syncjs");
    const killed = spawnRun(data, wait);
    await killed.until(/waiting/);
    await killed.kill(); // SIGKILL: no chance to record anything
    const [dead] = await jobList(data);
    assert.equal(dead!.status, "running");

    // A live aft run beside the next start keeps its job.
    const live = spawnRun(data, wait);
    await live.until(/waiting/);
    const quick = await script(dir, 'Log.Info("quick");', "quick.syncjs");
    assert.equal((await runAft(["run", "-f", quick], { data })).code, 0);
    const after = new Map((await jobList(data)).map((j) => [j.id, j]));
    assert.equal(after.get(dead!.id)!.status, "failed");
    assert.match(after.get(dead!.id)!.error, /aft run process running this job ended unexpectedly/);
    assert.match((await runAft(["jobs", "log", dead!.id], { data })).stdout, /ended unexpectedly/);
    const liveId = [...after.values()].find((j) => j.status === "running")!.id;
    // A service starting on the data directory leaves the live aft run's job alone too.
    const svc = await startService(data);
    try {
      assert.equal((await jobList(data)).find((j) => j.id === liveId)!.status, "running");
    } finally {
      await svc.stop();
    }
    assert.equal(await live.signal("SIGTERM"), 0);
  });
});

Deno.test("aft run --timings prints the timeline on stderr; the job runs in a Worker of aft run itself", async () => {
  await withData(async (data, dir) => {
    const f = await script(dir, 'Log.Info("timed");');
    const r = await runAft(["run", "-f", f, "--timings"], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /INFO +timed/);
    assert.match(r.stderr, /^aft timings:/m);
    for (const step of ["command line parsed", "job recorded", "[worker] script ended", "exit"]) {
      assert.ok(r.stderr.includes(step), `${step} missing in:\n${r.stderr}`);
    }
    // No runner process: the Worker is this process's own.
    assert.doesNotMatch(r.stderr, /runner process spawned/);
    const plain = await runAft(["run", "-f", f], { data });
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /aft timings/);
  });
});

Deno.test("AFT_RUNNER_PROCESS=1 makes aft run use a runner process, with the same result", async () => {
  await withData(async (data, dir) => {
    const f = await script(dir, 'Log.Info("in a runner");\nExit(3);');
    const r = await runAft(["run", "-f", f], {
      data,
      env: { AFT_RUNNER_PROCESS: "1", AFT_TIMINGS: "1" },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /INFO +in a runner/);
    assert.match(r.stderr, /runner process spawned/);
    assert.match(r.stderr, /\[runner\] job received/);
  });
});
