import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite.ts";
import { createCore } from "./engine.ts";
import { NodeKeeper } from "./node_keeper.ts";
import { JobQueue } from "./queue.ts";
import type { EngineCore } from "./types.ts";

const input = { scriptId: null, filePath: null, params: {}, trigger: "api" as const };

async function withKeeper(
  fn: (core: EngineCore, queue: JobQueue, keeper: NodeKeeper, log: string[]) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const store = new SqliteStore(join(dir, "aft.db"));
  await store.migrate();
  const core = createCore(dir, store, "here");
  const log: string[] = [];
  const queue = new JobQueue(core, {
    owner: "me:1",
    maxIdleRunners: 0,
    log: (m) => log.push(m),
    reconcile: () => Promise.resolve(),
  });
  const keeper = new NodeKeeper(core, queue, {
    address: "127.0.0.1:1",
    owner: "me:1",
    log: (m) => log.push(m),
  });
  try {
    await fn(core, queue, keeper, log);
  } finally {
    await queue.stop();
    await keeper.stop();
    await core.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("node keeper: registers the node, fails jobs of a lost node naming it, leaves on stop", async () => {
  await withKeeper(async (core, _queue, keeper, log) => {
    const store = core.store;
    // A job another node claimed and stopped renewing.
    const lost = await store.jobs.create({ ...input, scriptName: "x" });
    await store.jobs.claim("gone-node", { owner: "9:9", leaseSeconds: 0 });
    // One recorded running by aft run: no lease, never failed as lost.
    const run = await store.jobs.create({
      ...input,
      scriptName: "y",
      trigger: "cli",
      running: { node: "here", owner: "8:8" },
    });
    await keeper.start();
    const [me] = await store.nodes.list();
    assert.deepEqual([me?.id, me?.address, me?.draining], ["here", "127.0.0.1:1", false]);
    const j = (await store.jobs.get(lost.id))!;
    assert.equal(j.status, "failed");
    assert.match(j.error!, /^The node "gone-node" was lost \(no lease renewal for 30 s\)/);
    assert.equal((await store.jobs.logs(lost.id)).at(-1)?.text, j.error);
    assert.ok(log.some((l) => l.includes(`job ${lost.id}: failed, its node "gone-node" was lost`)));
    assert.equal((await store.jobs.get(run.id))!.status, "running");
    await keeper.stop();
    assert.deepEqual(await store.nodes.list(), []);
  });
});

Deno.test("node keeper: the draining flag in the store stops claims until it is cleared", async () => {
  await withKeeper(async (core, queue, keeper, log) => {
    await keeper.start();
    await core.store.nodes.setDraining("here", true);
    await keeper.tick();
    assert.equal(queue.draining, true);
    assert.ok(log.includes("draining: no new jobs, running ones finish"));
    await queue.start();
    const job = await core.store.jobs.create({ ...input, scriptName: "z" });
    queue.wake();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await core.store.jobs.get(job.id))!.status, "queued");
    await core.store.nodes.setDraining("here", false);
    await keeper.tick();
    assert.equal(queue.draining, false);
    // The job has no script: taken now, it fails at once.
    const end = await (async () => {
      for (let i = 0; i < 200; i++) {
        const j = await core.store.jobs.get(job.id);
        if (j?.status !== "queued" && j?.status !== "running") return j;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    assert.equal(end?.node, "here");
  });
});

Deno.test("node keeper: a node removed from the list registers again at its next tick", async () => {
  await withKeeper(async (core, _queue, keeper) => {
    await keeper.start();
    await core.store.nodes.remove("here");
    await keeper.tick();
    assert.deepEqual((await core.store.nodes.list()).map((n) => n.id), ["here"]);
  });
});

Deno.test("node keeper: a job another node failed as lost is stopped here, and its end stands", async () => {
  await withKeeper(async (core, queue, keeper, log) => {
    const s = await core.store.scripts.create({
      name: "wait",
      source: 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("after halt");',
    });
    const job = await core.store.jobs.create({ ...input, scriptId: s.id, scriptName: "wait" });
    await keeper.start();
    await queue.start();
    for (let i = 0; i < 400; i++) {
      if ((await core.store.jobs.logs(job.id)).some((l) => l.text === "waiting")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(queue.runs(job.id));
    // What another node's failExpired() does once the lease has run out.
    const why = 'The node "here" was lost (no lease renewal for 30 s): the job did not finish';
    assert.deepEqual(await core.store.jobs.failOrphans([job.id], why), [job.id]);
    await keeper.tick();
    for (let i = 0; i < 400 && queue.runs(job.id); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(queue.runs(job.id), false);
    assert.ok(log.includes(`job ${job.id}: no longer this node's (failed): stopping it`));
    const end = (await core.store.jobs.get(job.id))!;
    assert.deepEqual([end.status, end.error], ["failed", why]);
    const lines = (await core.store.jobs.logs(job.id)).map((l) => l.text);
    assert.deepEqual(lines, ["waiting", why]);
  });
});

Deno.test("node keeper: a job of this process whose end was not recorded fails on the second tick", async () => {
  await withKeeper(async (core, _queue, keeper, log) => {
    const store = core.store;
    await store.jobs.create({ ...input, scriptName: "a" });
    await store.jobs.create({ ...input, scriptName: "b" });
    // Claimed by this process, but no longer run by its queue (its end could not be written).
    const stray = (await store.jobs.claim("here", { owner: "me:1" }))!;
    // Claimed by an earlier process of this node: left to the owner check at start-up.
    const earlier = (await store.jobs.claim("here", { owner: "7:7" }))!;
    await keeper.start();
    assert.equal((await store.jobs.get(stray.id))!.status, "running", "not on the first tick");
    await keeper.tick();
    const end = (await store.jobs.get(stray.id))!;
    assert.equal(end.status, "failed");
    assert.match(end.error!, /^The end of the job could not be recorded/);
    assert.ok(log.includes(`job ${stray.id}: its end could not be recorded; marked failed`));
    assert.equal((await store.jobs.get(earlier.id))!.status, "running");
  });
});
