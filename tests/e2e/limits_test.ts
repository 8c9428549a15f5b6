/**
 * Runaway scripts: an endless loop is stopped by the job timeout, unbounded allocation by the
 * memory limit; the parent survives both and no process is left spinning.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

async function withData(
  settings: [string, string][],
  fn: (data: string, dir: string) => Promise<void>,
) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-lim-" });
  try {
    for (const [k, v] of [["allowCliRun", "true"], ...settings]) {
      const r = await runAft(["settings", "set", k!, v!], { data });
      assert.equal(r.code, 0, r.stderr);
    }
    await fn(data, dir);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

/** PIDs of live processes whose environment carries `marker` (Linux only). */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const env = await Deno.readTextFile(`/proc/${e.name}/environ`);
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      if (env.includes(marker) && !/\) Z /.test(stat)) pids.push(Number(e.name));
    } catch { /* gone or not ours */ }
  }
  return pids;
}

Deno.test("a script stuck in for(;;){} ends as failed at the job timeout and leaves nothing spinning", async () => {
  await withData([["jobTimeoutSeconds", "2"], ["haltGraceSeconds", "1"]], async (data, dir) => {
    const f = join(dir, "spin.syncjs");
    await Deno.writeTextFile(f, 'Log.Info("spinning"); for (;;) {}');
    const marker = `AFT_TEST_MARK=${crypto.randomUUID()}`;
    const t0 = performance.now();
    const r = await runAft(["run", "-f", f], {
      data,
      env: { AFT_TEST_MARK: marker.split("=")[1]! },
    });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /longer than 2 s/);
    assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s`);
    const jobs = await runAft(["jobs", "list", "--json"], { data });
    const [job] = JSON.parse(jobs.stdout);
    assert.equal(job.status, "failed");
    if (Deno.build.os === "linux") {
      let left: number[] = [];
      for (let i = 0; i < 20; i++) {
        left = await processesWith(marker);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(left, [], "a runner process is still alive");
    }
  });
});

Deno.test("a script that allocates without bound fails with a message naming the memory limit", async () => {
  await withData([["jobMemoryMiB", "64"]], async (data, dir) => {
    const f = join(dir, "hog.syncjs");
    await Deno.writeTextFile(
      f,
      'var keep = []; for (;;) { keep.push(new Array(100000).fill("x" + keep.length)); }',
    );
    const r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /memory limit of 64 MiB \(setting jobMemoryMiB\)/);
    // The parent survived to record the job.
    const jobs = await runAft(["jobs", "list", "--json"], { data });
    assert.equal(JSON.parse(jobs.stdout)[0].status, "failed");
  });
});

Deno.test("Ctrl-C halts a script waiting in WaitForHaltSignal and it ends cleanly", async () => {
  if (Deno.build.os === "windows") return;
  await withData([], async (data, dir) => {
    const f = join(dir, "wait.syncjs");
    await Deno.writeTextFile(
      f,
      'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("halted: " + HaltSignalReceived + ", sleep returns " + Sleep(10000));',
    );
    const { spawnAft } = await import("./_cli.ts");
    const child = spawnAft(["run", "-f", f], { data });
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("waiting")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.match(out, /halted: true, sleep returns false/);
    assert.equal(status.code, 0);
  });
});
