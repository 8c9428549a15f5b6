/**
 * The runner pool with real runner processes (`deno run main.ts __runner`): start, one job,
 * reuse, kill, and the parent's back-pressure on a runner's messages.
 */

import assert from "node:assert/strict";
import type { JobSpec, RunnerMessage } from "../protocol/messages.ts";
import { testJobSpec } from "../protocol/_test_spec.ts";
import { RunnerPool, type RunnerProcess } from "./runner_pool.ts";

const spec = (jobId: string, source: string): JobSpec => testJobSpec(source, { jobId });

type Exit = Extract<RunnerMessage, { t: "exit" }>;

/** Runs one job on `r`, collecting its messages, until its exit message. */
function runJob(
  r: RunnerProcess,
  job: JobSpec,
  onMessage: (m: RunnerMessage) => Promise<void> | void = () => {},
): Promise<{ exit: Exit; messages: RunnerMessage[] }> {
  const messages: RunnerMessage[] = [];
  return new Promise((resolve) => {
    r.listen((m) => {
      messages.push(m);
      if (m.t === "exit") resolve({ exit: m, messages });
      return onMessage(m);
    });
    r.send({ t: "start", job });
  });
}

Deno.test("a pooled runner runs a job, reports its log and exit, and is reused for the next job", async () => {
  const pool = new RunnerPool({ maxIdle: 2 });
  try {
    const r = await pool.acquire(128);
    assert.equal(r.alive, true);
    const { exit, messages } = await runJob(
      r,
      spec("j1", 'Log.Info("hello " + JobID()); Exit(3);'),
    );
    assert.equal(exit.code, 3);
    assert.equal(exit.reusable, true);
    assert.ok(exit.peakRssBytes > 0);
    const logs = messages.filter((m) => m.t === "log");
    assert.deepEqual(logs.map((m) => m.t === "log" && m.text), ["hello j1"]);
    pool.release(r, exit.reusable);
    // The pool keeps a started spare and the released runner: both are handed out next.
    const a = await pool.acquire(128);
    const b = await pool.acquire(128);
    assert.ok([a.pid, b.pid].includes(r.pid), "the released runner takes a later job");
    const again = a.pid === r.pid ? a : b;
    const second = await runJob(again, spec("j2", 'Log.Info("second");'));
    assert.equal(second.exit.code, 0);
    pool.release(a, true);
    pool.release(b, true);
  } finally {
    await pool.close();
  }
});

Deno.test("a runner killed mid-job ends with a signal and is never handed out again", async () => {
  const pool = new RunnerPool({ maxIdle: 1 });
  try {
    const r = await pool.acquire(128);
    let started!: () => void;
    const spinning = new Promise<void>((res) => started = res);
    r.listen((m) => {
      if (m.t === "log") started();
    });
    r.send({ t: "start", job: spec("j3", 'Log.Info("spin"); for (;;) {}') });
    await spinning;
    r.kill();
    const status = await r.exited;
    assert.equal(status.success, false);
    assert.match(r.describeExit(status), /killed by SIG/);
    pool.release(r, false);
    const next = await pool.acquire(128);
    assert.notEqual(next.pid, r.pid);
    pool.release(next, true);
  } finally {
    await pool.close();
  }
});

Deno.test("a listener that is behind stops the runner's messages, and the script's Log waits, until it catches up", async () => {
  const pool = new RunnerPool();
  try {
    const r = await pool.acquire(128);
    let release!: () => void;
    const gate = new Promise<void>((res) => release = res);
    let logs = 0;
    const done = runJob(
      r,
      spec("j4", 'for (var i = 0; i < 20000; i++) Log.Info("line " + i); Log.Info("end");'),
      (m) => {
        if (m.t !== "log") return;
        logs++;
        // Behind from the first line on: nothing more is read until the gate opens.
        return logs === 1 ? gate : undefined;
      },
    );
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(logs, 1, "no message read while the listener is behind");
    release();
    const { exit, messages } = await done;
    assert.equal(exit.code, 0);
    const texts = messages.flatMap((m) => m.t === "log" ? [m.text] : []);
    assert.equal(texts.length, 20001);
    assert.equal(texts.at(-1), "end");
    pool.release(r, exit.reusable);
  } finally {
    await pool.close();
  }
});

Deno.test("a runner back from a job while maxIdle runners already wait is kept for the next jobs, and shut down once it has waited surplusIdleMs", async () => {
  const pool = new RunnerPool({ maxIdle: 1, surplusIdleMs: 300 });
  try {
    // Two jobs at once: the second takes the spare, and a new spare starts.
    const a = await pool.acquire(128);
    const b = await pool.acquire(128);
    await Promise.all([a.ready, b.ready]);
    pool.release(a, true);
    pool.release(b, true);
    assert.ok(a.alive && b.alive, "both runners kept");
    assert.equal(pool.idleCount, 3);
    // The next three jobs get the runners that waited: no process is started for them.
    const next = [await pool.acquire(128), await pool.acquire(128), await pool.acquire(128)];
    const pids = next.map((r) => r.pid);
    assert.ok(pids.includes(a.pid) && pids.includes(b.pid), "the released runners are handed out");
    for (const r of next) pool.release(r, true);
    // Past maxIdle, the surplus is shut down once it has waited long enough.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exits = await Promise.race([
      Promise.all(next.slice(0, 2).map((r) => r.exited)),
      new Promise<undefined>((res) => timer = setTimeout(() => res(undefined), 20_000)),
    ]);
    clearTimeout(timer);
    assert.ok(exits, "the surplus runners exited");
    assert.equal(pool.idleCount, 1);
    assert.equal(next[2]!.alive, true, "maxIdle runners stay");
  } finally {
    await pool.close();
  }
});

Deno.test("the runner back last takes the next job, before the spare and the runners back earlier", async () => {
  const pool = new RunnerPool({ maxIdle: 4 });
  try {
    const a = await pool.acquire(128);
    const b = await pool.acquire(128);
    await Promise.all([a.ready, b.ready]);
    pool.release(a, true);
    pool.release(b, true);
    const first = await pool.acquire(128);
    const second = await pool.acquire(128);
    pool.release(first, true);
    pool.release(second, true);
    assert.deepEqual([first.pid, second.pid], [b.pid, a.pid]);
  } finally {
    await pool.close();
  }
});

Deno.test({
  name: "a job that fills 96 MiB reports a peak memory of at least that (the kernel's VmHWM)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const pool = new RunnerPool({ maxIdle: 1 });
    try {
      const r = await pool.acquire(512);
      const big = await runJob(
        r,
        spec("m1", "var a = new Uint8Array(96 * 1024 * 1024); a.fill(1); Log.Info(a[5]);"),
      );
      assert.equal(big.exit.code, 0);
      assert.ok(big.exit.peakRssBytes >= 96 * 1024 * 1024, String(big.exit.peakRssBytes));
      pool.release(r, true);
    } finally {
      await pool.close();
    }
  },
});
