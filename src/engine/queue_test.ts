import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite.ts";
import { createCore } from "./engine.ts";
import { JobQueue } from "./queue.ts";
import type { JobRecord } from "../store/types.ts";
import type { EngineCore } from "./types.ts";

const input = { scriptId: null, filePath: null, params: {}, trigger: "api" as const };

async function withQueue(
  fn: (core: EngineCore, queue: JobQueue, log: string[], seen: { reconciled: number }) => Promise<
    void
  >,
  settings: Record<string, unknown> = {},
) {
  const dir = await Deno.makeTempDir();
  const store = new SqliteStore(join(dir, "aft.db"));
  await store.migrate();
  for (const [k, v] of Object.entries(settings)) await store.settings.set(k, v);
  const core = createCore(dir, store);
  const log: string[] = [];
  const seen = { reconciled: 0 };
  const queue = new JobQueue(core, {
    owner: "me:1",
    maxIdleRunners: 0,
    log: (m) => log.push(m),
    reconcile: () => Promise.resolve(void seen.reconciled++),
  });
  try {
    await fn(core, queue, log, seen);
  } finally {
    await queue.stop();
    await core.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stores script `name` and queues `n` jobs of it; the jobs, oldest first. */
async function queueJobs(
  core: EngineCore,
  name: string,
  source: string,
  n: number,
): Promise<JobRecord[]> {
  const s = await core.store.scripts.create({ name, source });
  const jobs: JobRecord[] = [];
  for (let i = 0; i < n; i++) {
    jobs.push(await core.store.jobs.create({ ...input, scriptId: s.id, scriptName: name }));
  }
  return jobs;
}

/** Queues two jobs that wait for a halt and starts the queue; returns once the first runs. */
async function startWaiting(
  core: EngineCore,
  queue: JobQueue,
): Promise<[JobRecord, JobRecord]> {
  const [a, b] = await queueJobs(core, "wait", 'Log.Info("waiting"); WaitForHaltSignal();', 2);
  await queue.start();
  await until(async () =>
    (await core.store.jobs.logs(a!.id)).some((l) => l.text === "waiting") || undefined
  );
  return [a!, b!];
}

Deno.test("a job whose stored script was removed fails with that reason, without a runner", async () => {
  await withQueue(async (core, queue, _log, seen) => {
    const s = await core.store.scripts.create({ name: "gone", source: "" });
    const job = await core.store.jobs.create({ ...input, scriptId: s.id, scriptName: "gone" });
    await core.store.scripts.remove(s.id);
    await queue.start();
    assert.equal(seen.reconciled, 1); // jobs of gone processes are failed before any is taken
    const end = await until(async () => {
      const j = await core.store.jobs.get(job.id);
      return j?.status === "failed" ? j : undefined;
    });
    assert.match(end.error!, /stored script "gone" was removed before the job ran/);
    assert.equal(end.owner, "me:1");
    assert.match((await core.store.jobs.logs(job.id))[0]!.text, /was removed/);
  });
});

Deno.test("the queue runs at most maxConcurrentJobs; halting a queued job ends it at once", async () => {
  await withQueue(async (core, queue) => {
    const [a, b] = await startWaiting(core, queue);
    assert.equal(queue.runningCount, 1);
    assert.ok(queue.runs(a.id));
    assert.equal((await core.store.jobs.get(b.id))!.status, "queued");
    const haltedB = await queue.halt(b.id);
    assert.equal(haltedB!.status, "halted");
    assert.equal(haltedB!.startedAt, null);
    await queue.halt(a.id);
    const endA = await until(async () => {
      const j = await core.store.jobs.get(a.id);
      return j?.status === "halted" ? j : undefined;
    });
    assert.equal(endA.exitCode, 0);
    assert.deepEqual(queue.takeDurations().map((d) => d.status), ["halted"]);
    assert.equal(await queue.halt("nope"), undefined);
  }, { maxConcurrentJobs: 1, haltGraceSeconds: 5 });
});

Deno.test("purge() removes finished jobs older than jobRetentionDays, keeps the rest", async () => {
  await withQueue(async (core, queue, log) => {
    const old = await core.store.jobs.create({ ...input, scriptName: "s" });
    await core.store.jobs.update(old.id, {
      status: "succeeded",
      finishedAt: new Date(Date.now() - 3 * 86400_000).toISOString(),
    });
    const recent = await core.store.jobs.create({ ...input, scriptName: "s" });
    await core.store.jobs.update(recent.id, {
      status: "failed",
      finishedAt: new Date().toISOString(),
    });
    await queue.purge();
    assert.equal(await core.store.jobs.get(old.id), undefined);
    assert.ok(await core.store.jobs.get(recent.id));
    assert.match(log.join("\n"), /removed 1 job\(s\) older than 2 days/);
  }, { jobRetentionDays: 2 });
});

/** Records what `finishAndClaim` hands on; `before` runs at each call, before the store's. */
function watchHandOns(core: EngineCore, before: () => void = () => {}): (string | null)[] {
  const handed: (string | null)[] = [];
  const real = core.store.jobs.finishAndClaim.bind(core.store.jobs);
  core.store.jobs.finishAndClaim = async (id, patch, next) => {
    before();
    const r = await real(id, patch, next);
    handed.push(r.next?.id ?? null);
    return r;
  };
  return handed;
}

Deno.test("a job's end claims the next queued job in the same store call, which then runs in its slot", async () => {
  await withQueue(async (core, queue) => {
    const handed = watchHandOns(core);
    const ids = (await queueJobs(core, "one", 'Log.Info("one");', 3)).map((j) => j.id);
    await queue.start();
    await until(async () => (await core.store.jobs.countByStatus()).succeeded === 3 || undefined);
    // One slot: the first job is claimed by the queue's look, each later one by the end before it.
    assert.deepEqual(handed, [ids[1], ids[2], null]);
    for (const id of ids) {
      const j = (await core.store.jobs.get(id))!;
      assert.deepEqual([j.status, j.node, j.owner], ["succeeded", core.node, "me:1"]);
    }
  }, { maxConcurrentJobs: 1 });
});

Deno.test("a job claimed with an end while the queue stops goes back to the queue", async () => {
  await withQueue(async (core, queue) => {
    let stopped: Promise<void> | undefined;
    const handed = watchHandOns(core, () => stopped ??= queue.stop());
    const [a, b] = (await queueJobs(core, "one", 'Log.Info("one");', 2)) as [JobRecord, JobRecord];
    await queue.start();
    await until(() => Promise.resolve(handed.length === 1 || undefined));
    await stopped;
    assert.equal(handed[0], b.id, "b was claimed with a's end");
    assert.equal((await core.store.jobs.get(a.id))!.status, "succeeded");
    const back = (await core.store.jobs.get(b.id))!;
    assert.deepEqual([back.status, back.node, back.owner, back.startedAt], [
      "queued",
      null,
      null,
      null,
    ]);
    assert.equal(await core.store.jobs.failExpired(() => "lost").then((r) => r.length), 0);
  }, { maxConcurrentJobs: 1 });
});

Deno.test("a draining queue records a job's end without claiming another", async () => {
  await withQueue(async (core, queue) => {
    const handed = watchHandOns(core);
    const [a, b] = await startWaiting(core, queue);
    queue.draining = true;
    await queue.halt(a.id);
    await until(async () => (await core.store.jobs.get(a.id))!.status === "halted" || undefined);
    assert.deepEqual(handed, []);
    assert.equal((await core.store.jobs.get(b.id))!.status, "queued");
  }, { maxConcurrentJobs: 1 });
});
